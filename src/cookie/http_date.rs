//! IMF-fixdate (RFC 9110 section 5.6.7), the only date form `Expires` should carry.

/// Length of every IMF-fixdate.
pub(crate) const LEN: usize = 29;

/// Appends Unix seconds as `Sun, 06 Nov 1994 08:49:37 GMT`, without allocating beyond `out`.
/// Valid up to 9999-12-31, which callers guarantee by clamping times to `time::MAX_UNIX`.
pub(crate) fn write_to(out: &mut String, unix: u64) {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    let two = |out: &mut String, n: u64| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    out.push_str(DAYS[(days % 7) as usize]);
    out.push_str(", ");
    two(out, day);
    out.push(' ');
    out.push_str(MONTHS[(month - 1) as usize]);
    out.push(' ');
    two(out, year / 100);
    two(out, year);
    out.push(' ');
    two(out, secs / 3600);
    out.push(':');
    two(out, secs / 60 % 60);
    out.push(':');
    two(out, secs % 60);
    out.push_str(" GMT");
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian. Howard
/// Hinnant's `civil_from_days`, restricted to non-negative day counts.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    fn format(unix: u64) -> String {
        let mut s = String::new();
        super::write_to(&mut s, unix);
        assert_eq!(s.len(), super::LEN);
        s
    }

    #[test]
    fn known_dates() {
        assert_eq!(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(format(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 GMT");
        assert_eq!(format(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(format(253_402_300_799), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
}
