//! The console's seven languages: which one a request gets, and its
//! messages from the Fluent catalogs in `locales/` (compiled into the
//! binary; `static_loader!` refuses a missing fallback folder at build time).
//! Each language folder holds `console.ftl` (the built-in pages) and
//! `sections.ftl` (the pages the node adds through the section API: the
//! node cannot add catalogs of its own, they are compiled in here).
//!
//! The choice, first match wins: `?lang=xx`, the `concord_lang` cookie (set
//! when someone picks a language), the browser's `Accept-Language`
//! (quality values honoured), English. Fluent wraps placeables in Unicode
//! isolation marks (U+2068/U+2069); they stay, Arabic needs them.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_bundle::FluentValue;
use fluent_templates::Loader;
use unic_langid::{LanguageIdentifier, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the fallback).
    En,
    /// Chinese.
    Zh,
    /// Russian.
    Ru,
    /// Portuguese.
    Pt,
    /// Arabic (right to left).
    Ar,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

/// Every language, in the order the language menu lists them.
pub const LANGS: [Lang; 7] = [
    Lang::En,
    Lang::Zh,
    Lang::Ru,
    Lang::Pt,
    Lang::Ar,
    Lang::Fr,
    Lang::Es,
];

impl Lang {
    /// The BCP 47 tag (also the catalog's folder name).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Ru => "ru",
            Lang::Pt => "pt",
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language's own name, for the language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
            Lang::Ru => "Русский",
            Lang::Pt => "Português",
            Lang::Ar => "العربية",
            Lang::Fr => "Français",
            Lang::Es => "Español",
        }
    }

    /// Text direction for `<html dir>`.
    pub fn dir(self) -> &'static str {
        if self == Lang::Ar { "rtl" } else { "ltr" }
    }

    /// A tag such as `pt-BR`, `zh-Hans-CN` or `AR`: its primary language.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        LANGS.into_iter().find(|l| l.code() == primary)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::Zh => langid!("zh"),
            Lang::Ru => langid!("ru"),
            Lang::Pt => langid!("pt"),
            Lang::Ar => langid!("ar"),
            Lang::Fr => langid!("fr"),
            Lang::Es => langid!("es"),
        }
    }

    /// The message `key`; the key itself if no catalog has it (the
    /// completeness test keeps that from shipping).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message `key` with named arguments. Numbers that select a plural
    /// form go in as numbers; what is displayed is pre-formatted text.
    pub fn t_args(self, key: &str, args: &[(&'static str, Arg<'_>)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Arg::Text(s) => FluentValue::from(s.to_string()),
                    Arg::Count(n) => FluentValue::from(*n as f64),
                };
                (Cow::Borrowed(*k), value)
            })
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }
}

impl Lang {
    /// A message stored with its arguments as text (an alert's), or `None`
    /// when no catalog has the key.
    pub fn message(
        self,
        key: &str,
        args: &std::collections::BTreeMap<String, String>,
    ) -> Option<String> {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.clone()), FluentValue::from(v.clone())))
            .collect();
        LOCALES.try_lookup_with_args(&self.id(), key, &map)
    }

    /// A number with the language's digits and grouping.
    pub fn num(self, n: u64) -> String {
        crate::format::number(self, n)
    }

    /// A moment (µs since the epoch) as the language writes it, in UTC.
    pub fn when(self, us: i64) -> String {
        crate::format::datetime(self, us)
    }

    /// A STIX timestamp as the language writes it.
    pub fn stix_time(self, ts: &str) -> String {
        crate::format::stix_time(self, ts)
    }
}

/// One argument of a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Displayed as is (already formatted for the locale).
    Text(&'a str),
    /// Selects a plural form.
    Count(u64),
}

/// Picks the best language from an `Accept-Language` header.
pub(crate) fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, usize, Lang)> = None;
    for (pos, part) in header.split(',').enumerate() {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim();
        let q = bits
            .find_map(|b| b.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        // Higher quality wins; among equals, the earlier tag.
        let better = match best {
            None => true,
            Some((bq, bpos, _)) => q > bq || (q == bq && pos < bpos),
        };
        if better {
            best = Some((q, pos, lang));
        }
    }
    best.map(|(_, _, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const CATALOGS: [(Lang, &str); 7] = [
        (
            Lang::En,
            concat!(
                include_str!("../locales/en/console.ftl"),
                include_str!("../locales/en/sections.ftl")
            ),
        ),
        (
            Lang::Zh,
            concat!(
                include_str!("../locales/zh/console.ftl"),
                include_str!("../locales/zh/sections.ftl")
            ),
        ),
        (
            Lang::Ru,
            concat!(
                include_str!("../locales/ru/console.ftl"),
                include_str!("../locales/ru/sections.ftl")
            ),
        ),
        (
            Lang::Pt,
            concat!(
                include_str!("../locales/pt/console.ftl"),
                include_str!("../locales/pt/sections.ftl")
            ),
        ),
        (
            Lang::Ar,
            concat!(
                include_str!("../locales/ar/console.ftl"),
                include_str!("../locales/ar/sections.ftl")
            ),
        ),
        (
            Lang::Fr,
            concat!(
                include_str!("../locales/fr/console.ftl"),
                include_str!("../locales/fr/sections.ftl")
            ),
        ),
        (
            Lang::Es,
            concat!(
                include_str!("../locales/es/console.ftl"),
                include_str!("../locales/es/sections.ftl")
            ),
        ),
    ];

    fn keys(lang: Lang, text: &str) -> BTreeSet<String> {
        if let Err((_, errs)) = fluent_bundle::FluentResource::try_new(text.to_string()) {
            panic!("catalog {} does not parse: {errs:?}", lang.code());
        }
        // A message starts a line: `key = ...` (terms start with `-`).
        text.lines()
            .filter_map(|l| {
                let (k, _) = l.split_once('=')?;
                let k = k.trim_end();
                let ok = k.starts_with(|c: char| c.is_ascii_lowercase())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                ok.then(|| k.to_string())
            })
            .collect()
    }

    /// A value for every variable the catalogs use.
    fn sample_args() -> HashMap<Cow<'static, str>, FluentValue<'static>> {
        let mut m = HashMap::new();
        for k in [
            "n",
            "signer",
            "key",
            "reason",
            "read",
            "stored",
            "duplicates",
            "rejected",
            "collection",
            "events",
            "hits",
            "name",
            "member",
            "country",
            "from",
            "to",
            "quorum",
            "version",
            // alert messages (concord_alert::Message)
            "who",
            "type",
            "why",
            "indicator",
            "object",
            "title",
            "severity",
            "status",
            "peer",
            "community",
            "expires",
            "proposal",
            "changes",
            "origin",
            "first_size",
            "second_size",
        ] {
            m.insert(Cow::Borrowed(k), FluentValue::from("x"));
        }
        m.insert(Cow::Borrowed("count"), FluentValue::from(2.0));
        m.insert(Cow::Borrowed("days"), FluentValue::from(7.0));
        m
    }

    /// Fails when a key is missing from any catalog (or one catalog has a
    /// key the others lack), and when a catalog does not parse.
    #[test]
    fn every_catalog_has_every_key() {
        let en = keys(Lang::En, CATALOGS[0].1);
        assert!(en.len() > 50, "the English catalog looks empty");
        for (lang, text) in CATALOGS {
            let here = keys(lang, text);
            let missing: Vec<_> = en.difference(&here).collect();
            let extra: Vec<_> = here.difference(&en).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "catalog {}: missing {missing:?}, not in English {extra:?}",
                lang.code()
            );
            for k in &here {
                assert!(
                    LOCALES
                        .try_lookup_with_args(&lang.id(), k, &sample_args())
                        .is_some(),
                    "{}: {k} does not resolve",
                    lang.code()
                );
            }
        }
    }

    /// Every key the code asks for exists in English.
    #[test]
    fn keys_used_in_code_and_templates_exist() {
        let en = keys(Lang::En, CATALOGS[0].1);
        let sources = [
            include_str!("shell.rs"),
            include_str!("pages/dashboard.rs"),
            include_str!("pages/intel.rs"),
            include_str!("pages/object.rs"),
            include_str!("pages/import.rs"),
            include_str!("matching.rs"),
            include_str!("pages/settings.rs"),
            include_str!("pages/login.rs"),
            include_str!("../templates/layout.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/dashboard.html"),
            include_str!("../templates/intel.html"),
            include_str!("../templates/object.html"),
            include_str!("../templates/import.html"),
            include_str!("../templates/match.html"),
            include_str!("../templates/settings.html"),
            include_str!("../templates/message.html"),
        ];
        let mut missing = BTreeSet::new();
        for src in sources {
            // Keys are written as t("key") / t_args("key", ...) / tk("key").
            for pat in [".t(\"", ".t_args(\""] {
                for (i, _) in src.match_indices(pat) {
                    let rest = &src[i + pat.len()..];
                    if let Some(end) = rest.find('"') {
                        let key = &rest[..end];
                        if !key.is_empty() && !key.contains('{') && !en.contains(key) {
                            missing.insert(key.to_string());
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys used but not in en: {missing:?}");
    }

    #[test]
    fn picks_languages() {
        assert_eq!(
            from_accept_language("fr-CH, fr;q=0.9, en;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(
            from_accept_language("de, ar;q=0.5, en;q=0.4"),
            Some(Lang::Ar)
        );
        assert_eq!(from_accept_language("en;q=0.2, zh-CN"), Some(Lang::Zh));
        assert_eq!(from_accept_language("de"), None);
        assert_eq!(from_accept_language("es;q=0"), None);
        assert_eq!(Lang::from_tag("pt-BR"), Some(Lang::Pt));
        assert_eq!(Lang::Ar.dir(), "rtl");
    }

    #[test]
    fn translations_differ_from_english() {
        let en = Lang::En.t("nav-dashboard");
        for l in LANGS.into_iter().skip(1) {
            assert_ne!(l.t("nav-dashboard"), en, "{} is not translated", l.code());
        }
        let s = Lang::Ru.t_args(
            "count-objects",
            &[("count", Arg::Count(3)), ("n", Arg::Text("3"))],
        );
        assert!(s.contains("объект"), "{s}");
    }
}
