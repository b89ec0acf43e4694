//! The string forms API Gateway flattens claims into: arrays (`"[a b]"` from an HTTP API JWT
//! authorizer, `"a,b"` from a REST API Cognito authorizer), numbers as decimal strings, booleans
//! as `"true"`/`"false"`, and a REST authorizer's time claims as a date (`"Sun Dec 06 12:11:22
//! UTC 2026"`).

use crate::claims::MAX_NUMERIC_DATE;

/// A flattened array: `"[a b c]"` (space-separated inside brackets; `"[]"` is empty) or
/// `"a,b,c"` (comma-separated; `""` is empty). `None` when the string is neither: one bracket
/// without the other, an empty element (`"a,,b"`, `"[a  b]"`), or a bracket inside an element.
pub(crate) fn list(value: &str) -> Option<Vec<String>> {
    let (items, separator) = match (value.strip_prefix('['), value.ends_with(']')) {
        (Some(inner), true) => (inner.strip_suffix(']')?, ' '),
        (None, false) => (value, ','),
        _ => return None,
    };
    if items.is_empty() {
        return Some(Vec::new());
    }
    items
        .split(separator)
        .map(|item| {
            let clean = !item.is_empty() && !item.contains(['[', ']']) && item.trim() == item;
            clean.then(|| item.to_owned())
        })
        .collect()
}

/// A time claim: a decimal string of seconds (`"1765022400"`), or the date form of a REST
/// authorizer (`"Sun Dec 06 12:11:22 UTC 2026"`, UTC or GMT only). At most 9999-12-31, as for
/// a token's own time claims.
pub(crate) fn numeric_date(value: &str) -> Option<u64> {
    let seconds = match value.bytes().all(|b| b.is_ascii_digit()) {
        true if !value.is_empty() && value.len() <= 20 => value.parse().ok()?,
        true => return None,
        false => java_date(value)?,
    };
    (seconds <= MAX_NUMERIC_DATE).then_some(seconds)
}

/// `EEE MMM dd HH:mm:ss zzz yyyy` (Java's `Date::toString`) in UTC, as seconds since the epoch.
fn java_date(value: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut parts = value.split(' ');
    let (weekday, month, day, time, zone, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || !DAYS.contains(&weekday) || !matches!(zone, "UTC" | "GMT") {
        return None;
    }
    let month = u64::try_from(MONTHS.iter().position(|m| *m == month)?).ok()? + 1;
    let digits = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let (day, year) = (digits(day, 2)?, digits(year, 4)?);
    let mut hms = time.split(':');
    let (h, m, s) = (
        digits(hms.next()?, 2)?,
        digits(hms.next()?, 2)?,
        digits(hms.next()?, 2)?,
    );
    if hms.next().is_some() || h > 23 || m > 59 || s > 59 || year < 1970 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let last = *month_days.get(usize::try_from(month - 1).ok()?)?;
    if day == 0 || day > last {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3_600 + m * 60 + s)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar, from 1970 on (Howard
/// Hinnant's `days_from_civil`, unsigned: the caller checked the year).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `"true"` or `"false"`, exactly.
pub(crate) fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn flattened_lists() {
        assert_eq!(list("[admin staff]"), owned(&["admin", "staff"]));
        assert_eq!(list("admin,staff"), owned(&["admin", "staff"]));
        assert_eq!(list("admin"), owned(&["admin"]));
        assert_eq!(list("[admin]"), owned(&["admin"]));
        assert_eq!(list("[]"), owned(&[]));
        assert_eq!(list(""), owned(&[]));
        for bad in [
            "[admin staff",
            "admin]",
            "[",
            "]",
            "a,,b",
            ",a",
            "a,",
            "[a  b]",
            "[ a]",
            "[a ]",
            "[a [b]]",
            "a, b",
            "[a,b]x",
            "[[a]]",
        ] {
            assert_eq!(list(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn time_claims() {
        assert_eq!(numeric_date("1765022400"), Some(1_765_022_400));
        assert_eq!(numeric_date("0"), Some(0));
        // 2026-12-06T12:11:22Z
        assert_eq!(
            numeric_date("Sun Dec 06 12:11:22 UTC 2026"),
            Some(1_796_559_082)
        );
        assert_eq!(numeric_date("Thu Jan 01 00:00:00 UTC 1970"), Some(0));
        assert_eq!(
            numeric_date("Thu Feb 29 00:00:00 GMT 2024"),
            Some(1_709_164_800)
        );
        assert_eq!(
            numeric_date("Fri Dec 31 23:59:59 UTC 9999"),
            Some(MAX_NUMERIC_DATE)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "1e9",
            " 1",
            "99999999999999999999999",
            "253402300800",
            "Sun Dec 06 12:11:22 PST 2026",
            "Sun Dec 6 12:11:22 UTC 2026",
            "Sun Dec 06 24:00:00 UTC 2026",
            "Sun Feb 29 00:00:00 UTC 2025",
            "Sun Dec 06 12:11:22 UTC 2026 x",
            "Sun Dec 06 12:11 UTC 2026",
            "Xyz Dec 06 12:11:22 UTC 2026",
            "Sun Dez 06 12:11:22 UTC 2026",
            "Sun Dec 06 12:11:22 UTC 1969",
        ] {
            assert_eq!(numeric_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(
            (boolean("true"), boolean("false")),
            (Some(true), Some(false))
        );
        assert_eq!((boolean("True"), boolean("1")), (None, None));
    }
}
