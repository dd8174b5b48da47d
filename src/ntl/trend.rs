//! Trends of a zone's values over dates: OLS slope, Sen's slope with the
//! Mann-Kendall test, and the mean annual growth rate.
//!
//! Times are decimal years ([`decimal_year`]), so slopes are per year.
//! Observations whose value is NaN (no valid cell that date) are left out.

/// A zone's trend over its dated values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trend {
    /// Observations used (non-NaN values).
    pub n: usize,
    /// Ordinary least-squares slope, per year (`None` below two distinct times).
    pub ols_slope: Option<f64>,
    /// Sen's slope: the median of the pairwise slopes, per year.
    pub sen_slope: Option<f64>,
    /// The Mann-Kendall statistic `S = Σ_{i<j} sign(y_j - y_i)` (time order).
    pub mann_kendall_s: i64,
    /// Its normal score `Z` (continuity-corrected, ties accounted for).
    pub mann_kendall_z: Option<f64>,
    /// The two-sided p-value of `Z` (normal approximation; absolute error below 2e-7).
    pub p_value: Option<f64>,
    /// Compound annual growth rate between the first and the last
    /// observation, `(y_last / y_first)^(1 / years) - 1` (`None` unless both
    /// are positive and the times differ).
    pub annual_growth: Option<f64>,
}

/// The trend of `values` observed at `times` (decimal years, any order).
///
/// ```
/// use terralux::ntl::trend::trend;
/// let t = trend(&[2010.0, 2011.0, 2012.0, 2013.0], &[1.0, 2.0, 3.0, 4.0]);
/// assert!((t.ols_slope.unwrap() - 1.0).abs() < 1e-12);
/// assert_eq!((t.sen_slope, t.mann_kendall_s), (Some(1.0), 6));
/// assert!((t.p_value.unwrap() - 0.0894).abs() < 1e-4);
/// assert!((t.annual_growth.unwrap() - (4f64.powf(1.0 / 3.0) - 1.0)).abs() < 1e-12);
/// ```
pub fn trend(times: &[f64], values: &[f64]) -> Trend {
    let mut obs: Vec<(f64, f64)> = times
        .iter()
        .zip(values)
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .map(|(&t, &v)| (t, v))
        .collect();
    obs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = obs.len();

    let ols_slope = (n >= 2).then(|| {
        let tm = obs.iter().map(|o| o.0).sum::<f64>() / n as f64;
        let ym = obs.iter().map(|o| o.1).sum::<f64>() / n as f64;
        let sxy: f64 = obs.iter().map(|o| (o.0 - tm) * (o.1 - ym)).sum();
        let sxx: f64 = obs.iter().map(|o| (o.0 - tm).powi(2)).sum();
        (sxx > 0.0).then(|| sxy / sxx)
    });

    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            let dy = obs[j].1 - obs[i].1;
            s += (dy > 0.0) as i64 - (dy < 0.0) as i64;
            let dt = obs[j].0 - obs[i].0;
            if dt > 0.0 {
                slopes.push(dy / dt);
            }
        }
    }
    slopes.sort_by(f64::total_cmp);
    let sen_slope = match slopes.len() {
        0 => None,
        k if k % 2 == 1 => Some(slopes[k / 2]),
        k => Some((slopes[k / 2 - 1] + slopes[k / 2]) / 2.0),
    };

    let variance = mann_kendall_variance(&obs);
    let mann_kendall_z = (variance > 0.0).then(|| match s {
        0 => 0.0,
        s if s > 0 => (s - 1) as f64 / variance.sqrt(),
        s => (s + 1) as f64 / variance.sqrt(),
    });
    let p_value = mann_kendall_z.map(|z| (2.0 * normal_upper_tail(z.abs())).min(1.0));

    let annual_growth = match (obs.first(), obs.last()) {
        (Some(&(t0, y0)), Some(&(t1, y1))) if t1 > t0 && y0 > 0.0 && y1 > 0.0 => {
            Some((y1 / y0).powf(1.0 / (t1 - t0)) - 1.0)
        }
        _ => None,
    };

    Trend {
        n,
        ols_slope: ols_slope.flatten(),
        sen_slope,
        mann_kendall_s: s,
        mann_kendall_z,
        p_value,
        annual_growth,
    }
}

/// `Var(S) = [n(n-1)(2n+5) - Σ_ties t(t-1)(2t+5)] / 18`, ties being groups of equal values.
fn mann_kendall_variance(obs: &[(f64, f64)]) -> f64 {
    let n = obs.len() as f64;
    let mut values: Vec<f64> = obs.iter().map(|o| o.1).collect();
    values.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < values.len() {
        let j = values[i..].iter().take_while(|&&v| v == values[i]).count();
        let t = j as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i += j;
    }
    (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0
}

/// `P(Z > z)` for a standard normal `Z`, from the complementary error
/// function (`erfc` by the Abramowitz-Stegun 7.1.26 rational form refined
/// with a continued fraction in the tail; absolute error below 2e-7).
fn normal_upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 3.0 {
        // Continued fraction (Lentz), accurate far into the tail.
        let mut f = x;
        for k in (1..=60).rev() {
            f = x + (k as f64 / 2.0) / f;
        }
        return (-x * x).exp() / (f * std::f64::consts::PI.sqrt());
    }
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    poly * (-x * x).exp()
}

/// A date label as a decimal year: the start of the period it names, in
/// days elapsed over the year's length. `2014` -> 2014.0, `2014-07` and
/// `2014-07-01` alike -> 2014 + 181/365, `2016-12-31` -> 2016 + 365/366.
/// A label that is not a real date (`2014-02-31`, `2014-13`) is `None`.
///
/// ```
/// use terralux::ntl::trend::decimal_year;
/// assert_eq!(decimal_year("2014"), Some(2014.0));
/// assert_eq!(decimal_year("2014-07"), Some(2014.0 + 181.0 / 365.0));
/// assert_eq!(decimal_year("2014-07"), decimal_year("2014-07-01"));
/// assert_eq!(decimal_year("2016-12-31"), Some(2016.0 + 365.0 / 366.0));
/// assert_eq!(decimal_year("2014-02-31"), None);
/// assert_eq!(decimal_year("Q3"), None);
/// ```
pub fn decimal_year(label: &str) -> Option<f64> {
    use chrono::{Datelike, NaiveDate};
    let mut parts = label.split('-');
    let number = |part: Option<&str>| -> Option<u32> {
        part.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let year = i32::try_from(number(parts.next())?).ok()?;
    let month = parts.next().map_or(Some(1), |m| number(Some(m)))?;
    let day = parts.next().map_or(Some(1), |d| number(Some(d)))?;
    if parts.next().is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let days_in_year = if date.leap_year() { 366.0 } else { 365.0 };
    Some(year as f64 + date.ordinal0() as f64 / days_in_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_tables() {
        // Standard normal upper tails to 7 decimals.
        for (z, tail) in [
            (0.0, 0.5),
            (1.0, 0.1586553),
            (1.6448536, 0.05),
            (1.959964, 0.025),
            (2.5758293, 0.005),
            (3.2905267, 0.0005),
            (4.0, 3.167e-5),
        ] {
            let got = normal_upper_tail(z);
            assert!((got - tail).abs() < 2e-7, "z {z}: {got} vs {tail}");
        }
    }
}
