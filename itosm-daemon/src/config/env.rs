//! `ITOSM_…` environment variables: which are configuration, warnings for
//! those that configure nothing, and URLs with their passwords masked.

/// The top-level keys of [`super::Config`], read off its serialized defaults so
/// a new section is picked up from the environment without a second list.
pub(super) static SECTIONS: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| match serde_json::to_value(super::Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    });

/// Whether an `ITOSM_…` variable (prefix stripped, before or after the
/// `__` split) names a configuration key.
pub(super) fn is_config_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECTIONS.iter().any(|section| {
        key == *section
            || key
                .strip_prefix(section.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("__"))
    })
}

/// Variables that start with `ITOSM_` without being configuration on
/// purpose: the test suite's and scripts' own.
const NOT_CONFIGURATION: &[&str] = &["test_", "e2e_", "bin"];

/// Warnings about `ITOSM_…` environment variables that configure nothing
/// (a misspelt section is otherwise ignored in silence), each naming the
/// variable and, when one is close, the section meant.
pub fn environment_warnings() -> Vec<String> {
    let mut warnings = Vec::new();
    for (name, _) in std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))) {
        let Some(rest) = name.strip_prefix("ITOSM_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        if is_config_key(&lower) || NOT_CONFIGURATION.iter().any(|p| lower.starts_with(p)) {
            continue;
        }
        let section = lower.split("__").next().unwrap_or(&lower);
        let hint = SECTIONS
            .iter()
            .map(|known| (edit_distance(section, known), known.as_str()))
            .filter(|(distance, _)| *distance <= 2)
            .min()
            .map(|(_, known)| format!(" (did you mean ITOSM_{}…?)", known.to_ascii_uppercase()))
            .unwrap_or_default();
        warnings.push(format!(
            "ignoring environment variable {name}: `{section}` is not a configuration section{hint}"
        ));
    }
    warnings.sort();
    warnings
}

/// Levenshtein distance, for "did you mean".
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A URL with its password masked, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
