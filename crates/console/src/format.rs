//! Numbers and dates written the way each language writes them (CLDR's
//! conventions for the seven languages, kept here as data: a handful of
//! separators, digits and month names, not a locale library).
//!
//! Times are shown in UTC and say so: analysts in many time zones compare
//! them, and STIX timestamps are UTC.

use crate::i18n::Lang;

const ARABIC_DIGITS: [char; 10] = ['٠', '١', '٢', '٣', '٤', '٥', '٦', '٧', '٨', '٩'];

/// Writes `n` with the language's digit grouping.
pub(crate) fn number(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    // (group separator, smallest number that is grouped)
    let (sep, min_grouped) = match lang {
        Lang::En | Lang::Zh => (",", 1000),
        Lang::Ru | Lang::Fr => ("\u{202f}", 1000),
        Lang::Pt => (".", 1000),
        // Spanish groups from five digits on (CLDR minimumGroupingDigits 2).
        Lang::Es => (".", 10_000),
        Lang::Ar => ("٬", 1000),
    };
    let grouped = if n >= min_grouped {
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    } else {
        digits
    };
    if lang == Lang::Ar {
        arabic_digits(&grouped)
    } else {
        grouped
    }
}

fn arabic_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => ARABIC_DIGITS[d as usize],
            None => c,
        })
        .collect()
}

fn month(lang: Lang, m: u8) -> &'static str {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const RU: [&str; 12] = [
        "янв.",
        "февр.",
        "мар.",
        "апр.",
        "мая",
        "июн.",
        "июл.",
        "авг.",
        "сент.",
        "окт.",
        "нояб.",
        "дек.",
    ];
    const PT: [&str; 12] = [
        "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
        "dez.",
    ];
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    const ES: [&str; 12] = [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ];
    const AR: [&str; 12] = [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ];
    let i = usize::from(m.clamp(1, 12) - 1);
    match lang {
        Lang::En | Lang::Zh => EN[i],
        Lang::Ru => RU[i],
        Lang::Pt => PT[i],
        Lang::Fr => FR[i],
        Lang::Es => ES[i],
        Lang::Ar => AR[i],
    }
}

/// A calendar date and time of day in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

impl Civil {
    /// From microseconds since the Unix epoch (Howard Hinnant's
    /// days-to-civil algorithm).
    pub(crate) fn from_micros(us: i64) -> Civil {
        let secs = us.div_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
        }
    }
}

/// A moment (µs since the epoch) as the language writes dates, in UTC.
pub(crate) fn datetime(lang: Lang, us: i64) -> String {
    let c = Civil::from_micros(us);
    let (y, d, h, mi) = (c.year, c.day, c.hour, c.minute);
    let mon = month(lang, c.month);
    match lang {
        Lang::En => format!("{mon} {d}, {y}, {h:02}:{mi:02} UTC"),
        Lang::Zh => format!("{y}年{}月{d}日 {h:02}:{mi:02} UTC", c.month),
        Lang::Ru => format!("{d} {mon} {y} г., {h:02}:{mi:02} UTC"),
        Lang::Pt => format!("{d} de {mon} de {y}, {h:02}:{mi:02} UTC"),
        Lang::Fr => format!("{d} {mon} {y}, {h:02}:{mi:02} UTC"),
        Lang::Es => format!("{d} {mon} {y}, {h:02}:{mi:02} UTC"),
        Lang::Ar => arabic_digits(&format!("{d} {mon} {y}، {h:02}:{mi:02} UTC")),
    }
}

/// A STIX timestamp as the language writes dates; the raw string if it
/// does not parse (it is shown as received elsewhere on the page anyway).
pub(crate) fn stix_time(lang: Lang, ts: &str) -> String {
    match concord_stix::Timestamp::parse(ts) {
        Ok(t) => datetime(lang, t.0),
        Err(_) => ts.to_string(),
    }
}

/// `YYYY-MM-DD` (the value of a date input) as µs since the epoch at 00:00 UTC.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    // days-from-civil, the inverse of `Civil::from_micros`.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_locale() {
        assert_eq!(number(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(number(Lang::En, 999), "999");
        assert_eq!(number(Lang::Fr, 1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(number(Lang::Pt, 1_234), "1.234");
        assert_eq!(number(Lang::Es, 1_234), "1234");
        assert_eq!(number(Lang::Es, 12_345), "12.345");
        assert_eq!(number(Lang::Ar, 1_234), "١٬٢٣٤");
        assert_eq!(number(Lang::Ru, 0), "0");
    }

    #[test]
    fn dates_per_locale() {
        // 2026-11-25T11:42:00Z
        let t = parse_date("2026-11-25").unwrap() + (11 * 3600 + 42 * 60) * 1_000_000;
        assert_eq!(datetime(Lang::En, t), "Nov 25, 2026, 11:42 UTC");
        assert_eq!(datetime(Lang::Zh, t), "2026年11月25日 11:42 UTC");
        assert_eq!(datetime(Lang::Fr, t), "25 nov. 2026, 11:42 UTC");
        assert_eq!(datetime(Lang::Ru, t), "25 нояб. 2026 г., 11:42 UTC");
        assert!(datetime(Lang::Ar, t).starts_with("٢٥ نوفمبر ٢٠٢٦"));
        assert_eq!(
            stix_time(Lang::Es, "2016-02-29T00:00:00.000Z"),
            "29 feb 2016, 00:00 UTC"
        );
    }

    #[test]
    fn civil_round_trip() {
        for s in ["1970-01-01", "2000-02-29", "2024-12-31", "2100-03-01"] {
            let us = parse_date(s).unwrap();
            let c = Civil::from_micros(us);
            assert_eq!(format!("{:04}-{:02}-{:02}", c.year, c.month, c.day), s);
        }
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
    }
}
