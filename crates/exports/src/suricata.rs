//! Suricata 7 rules.
//!
//! What each value becomes:
//! - IPv4/IPv6 addresses and networks: one IP-only rule per indicator with
//!   all of them in an address group, both directions (`<>`).
//! - Domain names: two rules each, `dns.query` and `tls.sni` (a rule has
//!   one protocol, so DNS and TLS cannot share one), matching the whole
//!   buffer (`startswith; endswith`), or the name and its subdomains with
//!   the `subdomains` option (`dotprefix; content:".name"; endswith`).
//! - URLs with the http or https scheme: one rule each, `http.host` plus
//!   `http.uri` (path and query) matched whole, and the port when the URL
//!   has one. Suricata sees HTTPS requests only where TLS is decrypted.
//!   Other schemes are skipped.
//! - File hashes (MD5, SHA-1, SHA-256): Suricata 7 has no sticky buffer
//!   holding a file's hash, so a dataset (`dataset:isset`) cannot reach
//!   them; its `filemd5`, `filesha1` and `filesha256` keywords match a file
//!   against a list file instead. The export writes one list per algorithm
//!   (`<hash> <STIX ids>` per line: Suricata reads the hash at the start of
//!   each line and ignores the rest, so the ids travel with it) and one rule
//!   per algorithm and file-carrying protocol (http, http2, smtp, ftp-data,
//!   smb, nfs). The lists come back in the report's `files`; write them in
//!   Suricata's rule directory (`default-rule-path`), where these keywords
//!   look. The engine computes hashes only with file tracking on
//!   (`file-store` `force-hash`, or the `files` EVE output).
//! - E-mail addresses: skipped; Suricata 7 rules have no keyword for mail
//!   addresses.
//!
//! Every rule has `msg` (a prefix and the indicator's name, with `;` and
//! `\` escaped, `"` turned into `'` and control characters blanked), `metadata` with the
//! STIX id, TLP and confidence, and a `sid` and `rev` from the
//! [`SidTable`]. Rules are written in sid order, so new rules come last and
//! identical input with an identical table gives identical bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use crate::Format;
use crate::error::ExportError;
use crate::observable::Observable;
use crate::report::{ExportReport, ExtraFile, Kind, SkipReason};
use crate::select::{Indicator, Sink};
use crate::sid::{SidRange, SidTable};

/// How the rules are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuricataOptions {
    /// The sids new rules take.
    pub sids: SidRange,
    /// The start of every `msg`.
    pub msg_prefix: String,
    /// Domain rules also match subdomains.
    pub subdomains: bool,
    /// Hash list files are named `<prefix>-md5.list` and so on.
    pub list_prefix: String,
}

impl Default for SuricataOptions {
    fn default() -> Self {
        SuricataOptions {
            sids: SidRange::default(),
            msg_prefix: "concord".into(),
            subdomains: false,
            list_prefix: "concord".into(),
        }
    }
}

/// The protocols whose files Suricata 7 tracks.
const FILE_PROTOCOLS: [&str; 6] = ["http", "http2", "smtp", "ftp-data", "smb", "nfs"];

/// The table key of the hash list rules (no STIX id has this form).
const LIST_RULES: &str = "concord:file-hash-lists";

/// `msg` text: `;` and `\` escaped as Suricata requires, double quotes
/// turned into single ones (an escaped quote is valid, but rule tools
/// such as suricataparser lose one that ends the message), control
/// characters into spaces.
pub(crate) fn escape_msg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push('\''),
            ';' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `content` text: printable ASCII as is, except `"`, `;`, `\` and `|`,
/// which (like every other byte) are written in hex between pipes.
pub(crate) fn escape_content(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_hex = false;
    for b in s.bytes() {
        let plain = (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b';' | b'\\' | b'|');
        if plain {
            if in_hex {
                out.push('|');
                in_hex = false;
            }
            out.push(char::from(b));
        } else {
            if in_hex {
                out.push(' ');
            } else {
                out.push('|');
                in_hex = true;
            }
            let _ = write!(out, "{b:02X}");
        }
    }
    if in_hex {
        out.push('|');
    }
    out
}

/// A metadata value: only characters no rule parser splits on.
fn metadata_word(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

struct Rule {
    sid: u32,
    text: String,
}

/// One rule of an indicator before it has a sid: its key in the
/// [`SidTable`] and its text up to `sid`.
struct Draft {
    key: String,
    text: String,
}

/// The rules of one indicator, waiting for their sids.
struct Pending<'a> {
    id: &'a str,
    modified: &'a str,
    drafts: Vec<Draft>,
}

fn metadata(ind: &Indicator<'_>) -> String {
    let mut m = format!("metadata:stix_id {}", metadata_word(ind.id));
    if let Some(t) = ind.tlp {
        let _ = write!(m, ", tlp {}", metadata_word(t.word()));
    }
    if let Some(c) = ind.confidence {
        let _ = write!(m, ", confidence {c}");
    }
    m.push(';');
    m
}

fn domain_body(buffer: &str, name: &str, subdomains: bool) -> String {
    if subdomains {
        format!(
            "{buffer}; dotprefix; content:\".{}\"; nocase; endswith;",
            escape_content(name)
        )
    } else {
        format!(
            "{buffer}; content:\"{}\"; nocase; startswith; endswith;",
            escape_content(name)
        )
    }
}

/// The rules being built.
pub(crate) struct Rules<'a, 's> {
    options: SuricataOptions,
    table: &'s mut SidTable,
    prefix: String,
    pending: Vec<Pending<'a>>,
    lists: BTreeMap<Kind, BTreeMap<String, Vec<&'a str>>>,
}

impl<'a, 's> Rules<'a, 's> {
    /// Checks the options.
    pub(crate) fn new(
        options: SuricataOptions,
        table: &'s mut SidTable,
    ) -> Result<Rules<'a, 's>, ExportError> {
        if options.sids.first == 0 || options.sids.first > options.sids.last {
            return Err(ExportError::InvalidOption {
                option: "sids",
                reason: format!(
                    "{}..={} is no range of positive sids",
                    options.sids.first, options.sids.last
                ),
            });
        }
        let list = format!("{}-md5.list", options.list_prefix);
        if list.contains(['/', '\\', ';', '"', ' ']) || list.starts_with('.') {
            return Err(ExportError::InvalidOption {
                option: "list-prefix",
                reason: format!("{list:?} is not a plain file name"),
            });
        }
        Ok(Rules {
            prefix: escape_msg(&options.msg_prefix),
            options,
            table,
            pending: Vec::new(),
            lists: BTreeMap::new(),
        })
    }
}

fn not(why: impl Into<std::borrow::Cow<'static, str>>, kind: Kind) -> SkipReason {
    SkipReason::not_expressible(Format::Suricata, kind, why)
}

impl<'a> Sink<'a> for Rules<'a, '_> {
    fn add(&mut self, ind: Indicator<'a>, report: &mut ExportReport) {
        let msg = match ind.name {
            Some(n) if !n.trim().is_empty() => format!("{} {}", self.prefix, escape_msg(n)),
            _ => format!("{} indicator {}", self.prefix, escape_msg(ind.id)),
        };
        let meta = metadata(&ind);
        let rule = |key: String, header: String, body: &str| {
            let space = if body.is_empty() { "" } else { " " };
            Draft {
                key,
                text: format!("{header} (msg:\"{msg}\";{space}{body} {meta} "),
            }
        };
        let mut drafts: Vec<Draft> = Vec::new();
        let mut nets: Vec<String> = Vec::new();
        let mut exported = false;
        for value in ind.values {
            let kind = value.kind();
            match value {
                Observable::Ipv4(_) | Observable::Ipv6(_) => nets.push(value.to_string()),
                Observable::Domain(d) => {
                    for (proto, buffer) in [("dns", "dns.query"), ("tls", "tls.sni")] {
                        drafts.push(rule(
                            format!("{proto} {d}"),
                            format!("alert {proto} any any -> any any"),
                            &domain_body(buffer, &d, self.options.subdomains),
                        ));
                    }
                }
                Observable::Url(u) if u.scheme == "http" || u.scheme == "https" => {
                    let port = u.port.map_or_else(|| "any".to_string(), |p| p.to_string());
                    drafts.push(rule(
                        format!("http {}", u.text),
                        format!("alert http any any -> any {port}"),
                        &format!(
                            "http.host; content:\"{}\"; startswith; endswith; http.uri; content:\"{}\"; startswith; endswith;",
                            escape_content(&u.host_text()),
                            escape_content(&u.path_query)
                        ),
                    ));
                }
                Observable::Url(u) => {
                    let why = format!("only http and https URLs become rules, not {}", u.scheme);
                    report.skip(ind.id, Some(ind.pattern), Some(u.text), not(why, kind));
                    continue;
                }
                Observable::Email(e) => {
                    let why = "Suricata 7 rules have no keyword for mail addresses";
                    report.skip(ind.id, Some(ind.pattern), Some(e), not(why, kind));
                    continue;
                }
                Observable::Hash(k, h) => {
                    self.lists
                        .entry(k)
                        .or_default()
                        .entry(h)
                        .or_default()
                        .push(ind.id);
                }
            }
            report.count(kind);
            exported = true;
        }
        if !nets.is_empty() {
            drafts.push(rule(
                "ip".into(),
                format!("alert ip any any <> [{}] any", nets.join(",")),
                "",
            ));
        }
        if exported {
            report.indicators += 1;
        }
        if !drafts.is_empty() {
            drafts.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            self.pending.push(Pending {
                id: ind.id,
                modified: ind.modified,
                drafts,
            });
        }
    }

    fn finish(mut self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError> {
        // Sids are allocated in STIX id order so that the input order
        // never decides which indicator gets which new sid.
        self.pending.sort_unstable_by(|a, b| a.id.cmp(b.id));
        let range = self.options.sids;
        let mut used = self.table.used();
        let mut rules: Vec<Rule> = Vec::new();
        for p in self.pending {
            let rev = self.table.touch(p.id, p.modified);
            for d in p.drafts {
                let sid = self.table.sid(p.id, &d.key, range, &mut used)?;
                let mut text = d.text;
                let _ = write!(text, "sid:{sid}; rev:{rev};)");
                rules.push(Rule { sid, text });
            }
        }
        if !self.lists.is_empty() {
            self.table.touch(LIST_RULES, "");
        }
        for (kind, hashes) in &self.lists {
            let (keyword, algorithm) = match kind {
                Kind::Md5 => ("filemd5", "MD5"),
                Kind::Sha1 => ("filesha1", "SHA-1"),
                _ => ("filesha256", "SHA-256"),
            };
            let name = format!("{}-{}.list", self.options.list_prefix, kind.word());
            let mut content = Vec::new();
            for (hash, ids) in hashes {
                writeln!(content, "{hash} {}", ids.join(","))?;
            }
            for proto in FILE_PROTOCOLS {
                let key = format!("{} {proto}", kind.word());
                let sid = self.table.sid(LIST_RULES, &key, range, &mut used)?;
                rules.push(Rule {
                    sid,
                    text: format!(
                        "alert {proto} any any -> any any (msg:\"{} file {algorithm} on the list {name}\"; {keyword}:{name}; metadata:concord_list {}; sid:{sid}; rev:1;)",
                        self.prefix,
                        kind.word()
                    ),
                });
            }
            report.files.push(ExtraFile { name, content });
        }

        rules.sort_unstable_by_key(|r| r.sid);
        writeln!(
            out,
            "# concord Suricata rules: one rule per indicator and protocol, sids kept across exports"
        )?;
        for r in &rules {
            out.write_all(r.text.as_bytes())?;
            out.write_all(b"\n")?;
        }
        report.records = rules.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_escapes_what_suricata_requires() {
        assert_eq!(escape_msg(r#"a "b"; c\d"#), r#"a 'b'\; c\\d"#);
        assert_eq!(escape_msg("tab\there\nnew"), "tab here new");
        assert_eq!(escape_msg("恶意软件"), "恶意软件");
    }

    #[test]
    fn content_hex_escapes_special_and_unprintable_bytes() {
        assert_eq!(escape_content("evil.example"), "evil.example");
        assert_eq!(escape_content("/a;b|c\"d\\e"), "/a|3B|b|7C|c|22|d|5C|e");
        assert_eq!(escape_content(";;x"), "|3B 3B|x");
        assert_eq!(escape_content("é"), "|C3 A9|");
    }

    #[test]
    fn metadata_words_never_split() {
        assert_eq!(
            metadata_word("indicator--1, tlp red;"),
            "indicator--1__tlp_red_"
        );
        assert_eq!(metadata_word("amber+strict"), "amber+strict");
    }
}
