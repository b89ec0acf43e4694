//! Reads the `TIMESTAMP` of a `PASSWORD_VERIFIER` answer (`Mon Feb 3 08:05:09 UTC 2025`).

use crate::srp::cognito_timestamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the Unix epoch of a timestamp in exactly the format the clients send (English
/// names, day not padded, time fields padded, `UTC`); `None` for anything else, a wrong weekday
/// included (the value is formatted again and must give the same string).
pub(super) fn parse(timestamp: &str) -> Option<u64> {
    if timestamp.len() > 64 {
        return None;
    }
    let mut parts = timestamp.split(' ');
    let (_weekday, month, day, time, utc, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || utc != "UTC" {
        return None;
    }
    let month = u64::try_from(MONTHS.iter().position(|m| *m == month)?).ok()? + 1;
    let day: u64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let year: u64 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let mut hms = time.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() {
        return None;
    }
    let h: u64 = h.parse().ok().filter(|h| *h < 24)?;
    let m: u64 = m.parse().ok().filter(|m| *m < 60)?;
    let s: u64 = s.parse().ok().filter(|s| *s < 60)?;
    let secs = days_from_civil(year, month, day)? * 86_400 + h * 3600 + m * 60 + s;
    (cognito_timestamp(secs) == timestamp).then_some(secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date from 1970 on (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let year = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_client_writes() {
        for secs in [
            0,
            59,
            1_738_569_909,
            1_739_212_212,
            951_782_400,
            4_102_444_799,
        ] {
            assert_eq!(parse(&cognito_timestamp(secs)), Some(secs), "{secs}");
        }
        assert_eq!(parse("Mon Feb 3 08:05:09 UTC 2025"), Some(1_738_569_909));
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "Tue Feb 3 08:05:09 UTC 2025",  // wrong weekday
            "Mon Feb 03 08:05:09 UTC 2025", // padded day
            "Mon Feb 3 8:05:09 UTC 2025",   // unpadded hour
            "Mon Feb 3 08:05:09 GMT 2025",
            "Mon Feb 3 08:05:09 UTC 2025 ",
            "Mon Foo 3 08:05:09 UTC 2025",
            "Mon Feb 30 08:05:09 UTC 2025",
            "Mon Feb 3 24:05:09 UTC 2025",
            "Mon Feb 3 08:05 UTC 2025",
            "Mon Feb 3 08:05:09:01 UTC 2025",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
