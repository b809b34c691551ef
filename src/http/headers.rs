//! HTTP header fields: an ordered list of `name: value` pairs (RFC 9110 §5).
//!
//! Names compare case-insensitively (RFC 9110 §5.1) and a field may repeat, so we keep the
//! fields as they arrived, in order, rather than in a map. Requests carry a few dozen fields
//! at most, so a linear scan is faster than hashing and keeps the order for free.

/// The header fields of one request or response, in the order they were received or added.
///
/// All names and values live one after another in one string, with the list of where each
/// field lies: a request's fields then cost two allocations, not two per field, and a copy
/// kept for the life of a session (Socket.IO's `handshake.headers`) is two blocks of memory.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    /// Every name and value, one after the other, in the order of `fields`.
    text: String,
    fields: Vec<Field>,
}

/// Where one field lies in [`Headers::text`]: the name is `start..mid`, the value `mid..end`.
/// Offsets are `u32`, half the size of `usize`: a header section is bounded (a request's by
/// `max_header_bytes`, 16 KiB by default) far below 4 GiB.
#[derive(Debug, Clone, Copy)]
struct Field {
    start: u32,
    mid: u32,
    end: u32,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// An empty list with room for `fields` fields of `bytes` bytes of names and values.
    pub fn with_capacity(fields: usize, bytes: usize) -> Headers {
        Headers {
            text: String::with_capacity(bytes),
            fields: Vec::with_capacity(fields),
        }
    }

    /// Appends a field, keeping any earlier field of the same name (RFC 9110 §5.3).
    ///
    /// # Panics
    /// If the list's names and values would pass 4 GiB.
    pub fn append(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let offset = |text: &String| u32::try_from(text.len()).expect("header text under 4 GiB");
        let start = offset(&self.text);
        self.text.push_str(name.as_ref());
        let mid = offset(&self.text);
        self.text.push_str(value.as_ref());
        let end = offset(&self.text);
        self.fields.push(Field { start, mid, end });
    }

    /// The name and value of `field`.
    fn field(&self, field: &Field) -> (&str, &str) {
        let (start, mid, end) = (field.start as usize, field.mid as usize, field.end as usize);
        (&self.text[start..mid], &self.text[mid..end])
    }

    /// Replaces every field called `name` by one with `value`.
    pub fn set(&mut self, name: &str, value: impl AsRef<str>) {
        self.remove(name);
        self.append(name, value);
    }

    /// Removes every field called `name`. Its bytes stay in the text until the list is
    /// dropped: lists are small, and most live no longer than their request or response.
    pub fn remove(&mut self, name: &str) {
        let text = &self.text;
        self.fields
            .retain(|f| !text[f.start as usize..f.mid as usize].eq_ignore_ascii_case(name));
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every value of the fields called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
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
        self.fields.iter().map(|f| self.field(f))
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

/// Two lists are equal when they hold the same fields in the same order (bytes a removed
/// field left behind do not count).
impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

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

    #[test]
    fn set_replaces_every_field_of_the_name_and_keeps_the_others_in_order() {
        let mut h = Headers::with_capacity(4, 64);
        h.append("A", "1");
        h.append("b", "2");
        h.append("C", "3");
        h.set("B", "two");
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            [("A", "1"), ("C", "3"), ("B", "two")]
        );
        h.remove("a");
        let mut fresh = Headers::new();
        fresh.append("C", "3");
        fresh.append("B", "two");
        assert_eq!(h, fresh, "what a removed field left behind does not count");
        assert_eq!((h.len(), h.get("c"), h.get("A")), (2, Some("3"), None));
    }
}
