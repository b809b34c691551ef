//! HTTP header fields: an ordered list of `name: value` pairs (RFC 9110 §5).
//!
//! Names compare case-insensitively (RFC 9110 §5.1) and a field may repeat, so we keep the
//! fields as they arrived, in order, rather than in a map. Requests carry a few dozen fields
//! at most, so a linear scan is faster than hashing and keeps the order for free.

/// The header fields of one request or response, in the order they were received or added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Appends a field, keeping any earlier field of the same name (RFC 9110 §5.3).
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push((name.into(), value.into()));
    }

    /// Replaces every field called `name` by one with `value`.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.remove(name);
        self.fields.push((name.to_string(), value.into()));
    }

    /// Removes every field called `name`.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the fields called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated list field holds `token`, compared case-insensitively.
    ///
    /// `Connection: keep-alive, Upgrade` holds `upgrade`: list fields may be split across
    /// repeated lines or joined by commas, and both mean the same (RFC 9110 §5.3, §5.6.1).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether any field is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The fields in order, as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_case_insensitively_per_rfc9110_section_5_1() {
        let mut h = Headers::new();
        h.append("Content-Type", "text/html");
        assert_eq!(h.get("content-type"), Some("text/html"));
    }

    #[test]
    fn list_tokens_are_found_across_commas_and_repeated_fields() {
        let mut h = Headers::new();
        h.append("Connection", "keep-alive, Upgrade");
        assert!(h.has_token("connection", "upgrade"));
        let mut split = Headers::new();
        split.append("Connection", "keep-alive");
        split.append("Connection", "upgrade");
        assert!(split.has_token("Connection", "Upgrade"));
        assert!(!split.has_token("Connection", "close"));
    }
}
