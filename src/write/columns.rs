//! Column names that never collide.

/// The names to give statistic columns in a file that also holds the
/// `reserved` columns (the id, the attributes): a name that equals a
/// reserved one or an earlier statistic's, ignoring ASCII case (GeoPackage
/// and many readers do), becomes `zs_<name>`, then `zs_<name>_2`,
/// `zs_<name>_3`... until it is unique, so that no value is ever written
/// under another column's name.
///
/// ```
/// use terralux::write::unique_column_names;
/// let names = unique_column_names(&["code", "sum", "zs_sum", "MEAN"], &["sum", "mean", "count"]);
/// assert_eq!(names, ["zs_sum_2", "zs_mean", "count"]);
/// assert_eq!(unique_column_names(&["sum"], &["sum"]), ["zs_sum"]);
/// ```
pub fn unique_column_names<S: AsRef<str>, T: AsRef<str>>(
    reserved: &[S],
    stat_names: &[T],
) -> Vec<String> {
    let mut taken: Vec<String> = reserved
        .iter()
        .map(|n| n.as_ref().to_ascii_lowercase())
        .collect();
    let mut names = Vec::with_capacity(stat_names.len());
    for name in stat_names {
        let name = name.as_ref();
        let is_taken = |candidate: &str, taken: &[String]| {
            let lower = candidate.to_ascii_lowercase();
            taken.contains(&lower)
        };
        let mut chosen = name.to_string();
        if is_taken(&chosen, &taken) {
            chosen = format!("zs_{name}");
            let mut n = 2;
            while is_taken(&chosen, &taken) {
                chosen = format!("zs_{name}_{n}");
                n += 1;
            }
        }
        taken.push(chosen.to_ascii_lowercase());
        names.push(chosen);
    }
    names
}
