//! The few calendar facts the product dates need (proleptic Gregorian).

/// True for leap years.
pub(crate) fn is_leap(year: i32) -> bool {
    (year.rem_euclid(4) == 0 && year.rem_euclid(100) != 0) || year.rem_euclid(400) == 0
}

/// Lengths of the twelve months of `year`.
pub(crate) fn month_lengths(year: i32) -> [u32; 12] {
    let february = if is_leap(year) { 29 } else { 28 };
    [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
}
