//! The body of a request: how long it is (RFC 9112 §6.3) and the chunked coding (§7.1).
//!
//! After the head, `http/connection.rs` asks [`body_length`] how the body is delimited. A
//! `Content-Length` says how many bytes to read. `Transfer-Encoding: chunked` sends the body
//! in pieces, each prefixed by its size in hex, ending with a piece of size zero:
//!
//! ```text
//! 4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n      → "Wikipedia"
//! ```
//!
//! We decode chunked bodies ([`ChunkedDecoder`]) rather than answering `411 Length
//! Required`: RFC 9112 §7 says a recipient MUST be able to parse the chunked coding, and
//! clients streaming a body of unknown size (`fetch` with a stream, `curl -T -`) use it.

use super::{Limits, Request, RequestError, Version};
use crate::http::headers::Headers;

/// How a request's body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body: neither `Content-Length` nor `Transfer-Encoding` (§6.3 item 7), or length 0.
    Empty,
    /// Exactly this many bytes follow the head (§6.3 item 6).
    Fixed(usize),
    /// The body is chunked; decode it with a [`ChunkedDecoder`] (§6.3 item 4).
    Chunked,
}

/// Says how the body of `req` is delimited, following RFC 9112 §6.3 in order.
///
/// # Errors
/// [`RequestError::ConflictingLength`] for both framings at once;
/// [`RequestError::ChunkedNotFinal`] and [`RequestError::UnsupportedTransferEncoding`] for a
/// `Transfer-Encoding` other than `chunked`; [`RequestError::BadContentLength`] for a length
/// that is not digits or disagrees with a repeat; [`RequestError::BodyTooLarge`] for a length
/// over `limits.max_body`, so we refuse before reading it.
pub fn body_length(req: &Request, limits: &Limits) -> Result<BodyLength, RequestError> {
    let has_transfer_encoding = req.headers.contains("Transfer-Encoding");
    let has_content_length = req.headers.contains("Content-Length");
    if has_transfer_encoding && has_content_length {
        // §6.1 lets a server follow Transfer-Encoding alone, but a proxy in front of us may
        // have used Content-Length: refusing is the only answer both sides agree on.
        return Err(RequestError::ConflictingLength);
    }
    if has_transfer_encoding {
        return transfer_coding(req);
    }
    if !has_content_length {
        return Ok(BodyLength::Empty);
    }
    match content_length(&req.headers)? {
        0 => Ok(BodyLength::Empty),
        n if n > limits.max_body as u64 => Err(RequestError::BodyTooLarge),
        n => Ok(BodyLength::Fixed(n as usize)),
    }
}

/// RFC 9112 §6.1 and §6.3 item 4: we decode `chunked` and nothing else.
fn transfer_coding(req: &Request) -> Result<BodyLength, RequestError> {
    if req.version == Version::Http10 {
        // §6.1: HTTP/1.0 predates Transfer-Encoding, so an intermediary may not have honoured
        // it; the RFC says to treat such framing as faulty.
        return Err(RequestError::Malformed(
            "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)",
        ));
    }
    let codings: Vec<&str> = req
        .headers
        .get_all("Transfer-Encoding")
        .flat_map(|v| v.split(','))
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    match codings.as_slice() {
        [only] if only.eq_ignore_ascii_case("chunked") => Ok(BodyLength::Chunked),
        [.., last] if last.eq_ignore_ascii_case("chunked") => {
            Err(RequestError::UnsupportedTransferEncoding)
        }
        _ => Err(RequestError::ChunkedNotFinal),
    }
}

/// The one value of every `Content-Length` field and list element (RFC 9110 §8.6), which must
/// all be `1*DIGIT` and agree: `42, 42` is accepted as 42, as §8.6 allows.
fn content_length(headers: &Headers) -> Result<u64, RequestError> {
    let mut value = None;
    for element in headers.get_all("Content-Length").flat_map(|v| v.split(',')) {
        let digits = element.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RequestError::BadContentLength);
        }
        // All digits but too big for u64: certainly over any body limit.
        let n: u64 = digits.parse().map_err(|_| RequestError::BodyTooLarge)?;
        if value.is_some_and(|v| v != n) {
            return Err(RequestError::BadContentLength);
        }
        value = Some(n);
    }
    value.ok_or(RequestError::BadContentLength)
}

/// Longest chunk-size or trailer line we accept, its CRLF included. Chunk extensions have no
/// use here, so this only stops a line that never ends.
const MAX_CHUNK_LINE: usize = 4 * 1024;

/// Framing (size lines, CRLFs, trailers) we buffer besides the data: as much as `max_body`,
/// and at least this much. So an unfinished body never holds more than twice `max_body`,
/// even sent as endless trailers or one-byte chunks.
const MIN_FRAMING_ALLOWANCE: usize = 64 * 1024;

/// Decodes a whole chunked body from the front of `buf` (RFC 9112 §7.1):
///
/// ```text
/// chunked-body = *( chunk-size [ chunk-ext ] CRLF chunk-data CRLF )
///                1*"0" [ chunk-ext ] CRLF  *( field-line CRLF )  CRLF
/// ```
///
/// Returns the data and the bytes used; anything after them is the next request. Chunk
/// extensions and trailer fields are checked for stray control characters and then dropped
/// (§7.1.1, §7.1.2 allow both). `Ok(None)` means the body has not all arrived: read more
/// and call again with everything read so far.
///
/// # Errors
/// [`RequestError::BodyTooLarge`] as soon as a chunk size takes the data past `max_body`, or
/// the framing past its allowance; [`RequestError::BadChunk`] when the grammar is broken.
pub fn decode_chunked(
    buf: &[u8],
    max_body: usize,
) -> Result<Option<(Vec<u8>, usize)>, RequestError> {
    let mut decoder = ChunkedDecoder::default();
    Ok(decoder
        .decode(buf, max_body)?
        .map(|used| (decoder.take_body(), used)))
}

/// [`decode_chunked`] that resumes where it stopped: a body arriving in many reads is
/// decoded once, not again from its first chunk after every read (which would cost time
/// quadratic in the number of chunks, and a client could send a megabyte of 1-byte chunks).
/// The trailer section resumes likewise, line by line: a client trickling a trailer line a
/// millisecond after a megabyte of them must not make us rescan the megabyte each time.
#[derive(Debug)]
pub struct ChunkedDecoder {
    /// The data of the chunks decoded so far.
    body: Vec<u8>,
    /// Where, in the buffer, the next line starts: a chunk's size line, or once the last
    /// chunk is read, the next trailer line.
    pos: usize,
    /// `Some(bytes)` once the last chunk (size 0) is read: we are in the trailer section,
    /// and it has used this many bytes so far.
    trailer_bytes: Option<usize>,
    /// Most bytes the trailer section may take, its final CRLF included.
    max_trailer_bytes: usize,
}

impl Default for ChunkedDecoder {
    /// A decoder whose trailer section is bounded like a default request head (16 KiB).
    fn default() -> ChunkedDecoder {
        ChunkedDecoder::with_trailer_limit(Limits::default().max_header_bytes)
    }
}

impl ChunkedDecoder {
    /// A decoder whose trailer section may take at most `max_trailer_bytes`. Trailers are a
    /// second block of header fields (RFC 9112 §7.1.2), so the server bounds them by its
    /// header limit (`Limits::max_header_bytes`): past it, `431`, as for the head.
    pub fn with_trailer_limit(max_trailer_bytes: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            body: Vec::new(),
            pos: 0,
            trailer_bytes: None,
            max_trailer_bytes,
        }
    }

    /// Decodes the chunks of `buf` — the body's bytes from its start, everything read so
    /// far — that the last call had not reached. `Ok(Some(used))` once the body is whole;
    /// then [`take_body`](ChunkedDecoder::take_body) has its data.
    ///
    /// # Errors
    /// As [`decode_chunked`], and [`RequestError::HeadersTooLarge`] for a trailer section
    /// over its limit.
    pub fn decode(&mut self, buf: &[u8], max_body: usize) -> Result<Option<usize>, RequestError> {
        let max_buffered = max_body.saturating_add(max_body.max(MIN_FRAMING_ALLOWANCE));
        let waiting = || {
            if buf.len() > max_buffered {
                return Err(RequestError::BodyTooLarge);
            }
            Ok(None)
        };
        loop {
            if self.trailer_bytes.is_some() {
                return match self.next_trailer(buf)? {
                    Some(end) => Ok(Some(end)),
                    None => waiting(),
                };
            }
            let line = chunk_line(buf, self.pos, MAX_CHUNK_LINE).map_err(|e| match e {
                LineError::TooLong => RequestError::BadChunk("chunk line longer than 4 KiB"),
                LineError::Forbidden => RequestError::BadChunk(CONTROL_IN_LINE),
            })?;
            let Some((line, data_start)) = line else {
                return waiting();
            };
            let size = chunk_size(line)?;
            if size == 0 {
                // The last chunk: what follows is the trailer section.
                self.pos = data_start;
                self.trailer_bytes = Some(0);
                continue;
            }
            if size > max_body - self.body.len() {
                return Err(RequestError::BodyTooLarge);
            }
            // `max_body` may be as high as usize::MAX ("no limit"), so the size that passed it
            // may still be past the end of the address space: no buffer could hold that body.
            let Some(next) = data_start
                .checked_add(size)
                .and_then(|end| end.checked_add(2))
            else {
                return Err(RequestError::BodyTooLarge);
            };
            let data_end = next - 2;
            let Some(after_data) = buf.get(data_end..next) else {
                return waiting();
            };
            if after_data != b"\r\n" {
                return Err(RequestError::BadChunk("chunk data not followed by CRLF"));
            }
            self.body.extend_from_slice(&buf[data_start..data_end]);
            self.pos = next;
        }
    }

    /// Reads the trailer lines that have arrived since the last call (`*( field-line CRLF )
    /// CRLF`, §7.1.2), counting them against the trailer limit, and returns the offset after
    /// the section's final CRLF once it has come. The fields are discarded: §7.1.2 lets a
    /// recipient do so, and we have no use for them.
    fn next_trailer(&mut self, buf: &[u8]) -> Result<Option<usize>, RequestError> {
        let mut used = self.trailer_bytes.unwrap_or(0);
        loop {
            // A line may take what is left of the section's allowance, and no line more than
            // 4 KiB; a line still arriving counts too, so an endless one is refused early.
            let left = self.max_trailer_bytes - used;
            let line =
                chunk_line(buf, self.pos, left.min(MAX_CHUNK_LINE)).map_err(|e| match e {
                    LineError::TooLong if left <= MAX_CHUNK_LINE => RequestError::HeadersTooLarge,
                    LineError::TooLong => RequestError::BadChunk("trailer line longer than 4 KiB"),
                    LineError::Forbidden => RequestError::BadChunk(CONTROL_IN_LINE),
                })?;
            let Some((line, next)) = line else {
                self.trailer_bytes = Some(used);
                return Ok(None);
            };
            used += next - self.pos;
            self.pos = next;
            if line.is_empty() {
                self.trailer_bytes = Some(used);
                return Ok(Some(next));
            }
        }
    }

    /// The decoded data.
    pub fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }
}

/// Why [`chunk_line`] refused a line.
#[derive(Debug, PartialEq, Eq)]
enum LineError {
    /// The line is longer than its limit, CRLF included.
    TooLong,
    /// A control character, or a CR or LF that is not part of the CRLF (§7.1).
    Forbidden,
}

/// What a line with a forbidden byte is refused with.
const CONTROL_IN_LINE: &str = "control character or bare CR/LF in a chunk line";

/// The line starting at `from`, without its CRLF, and the offset after the CRLF; `None`
/// if the CRLF has not arrived. The line may take at most `max_len` bytes, CRLF included.
///
/// Unlike the head, a chunked body gets no bare-LF leniency: parsers that disagree on how
/// a chunk line ends are a known request-smuggling vector, so only CRLF (§7.1) ends one.
///
/// A line still arriving may already be broken: a bare LF (or any other control character)
/// can never become part of a valid line, and neither can more than `max_len` bytes without
/// a CRLF, so we say so now rather than wait for a CRLF until the body timeout. Only a CR
/// at the very end may still be the first half of its CRLF. The scan goes byte by byte and
/// the first byte that breaks a rule decides the error: so the answer is the same whether
/// the bytes after it have arrived or not, and does not depend on how TCP cut the reads (a
/// fuzzer found a trailer line refused for its length or for a NUL after it, depending on
/// the cuts: tests/fuzz_regressions.rs).
fn chunk_line(
    buf: &[u8],
    from: usize,
    max_len: usize,
) -> Result<Option<(&[u8], usize)>, LineError> {
    let rest = &buf[from..];
    for (i, &byte) in rest.iter().enumerate() {
        let after_cr = i > 0 && rest[i - 1] == b'\r';
        if byte == b'\n' && after_cr {
            // Within the limit: a longer line was refused at its byte `max_len` below.
            return Ok(Some((&rest[..i - 1], from + i + 1)));
        }
        if i + 1 >= max_len {
            // Byte `max_len` is here and does not end the line: it will be longer.
            return Err(LineError::TooLong);
        }
        if after_cr || (byte != b'\r' && is_forbidden_in_line(byte)) {
            // A CR followed by anything but LF was bare; a CR itself may be followed by LF.
            return Err(LineError::Forbidden);
        }
    }
    Ok(None)
}

/// §7.1 (via RFC 9110 §5.5): no control characters in a chunk or trailer line but HTAB,
/// so no bare CR or LF either.
fn is_forbidden_in_line(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// `chunk-size [ chunk-ext ]`: the size in hex, then nothing or `BWS ";" …` extensions,
/// which we ignore (§7.1.1: a recipient MUST ignore extensions it does not understand).
fn chunk_size(line: &[u8]) -> Result<usize, RequestError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(RequestError::BadChunk("chunk size is not hex digits"));
    }
    let mut size: usize = 0;
    for &digit in &line[..digits] {
        let value = (digit as char)
            .to_digit(16)
            .expect("checked by is_ascii_hexdigit");
        // A size too big for usize is certainly over max_body.
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(value as usize))
            .ok_or(RequestError::BodyTooLarge)?;
    }
    // BWS may come before a ';', but not end the line: `3 ` alone is not in the grammar.
    let after_size = &line[digits..];
    let extensions = after_size.trim_ascii_start();
    if !after_size.is_empty() && extensions.first() != Some(&b';') {
        return Err(RequestError::BadChunk(
            "chunk size followed by something other than ';'",
        ));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::Method;
    use crate::http::response::Status;

    fn with_headers(fields: &[(&str, &str)]) -> Request {
        let mut req = Request::new(Method::Post, "/");
        for (name, value) in fields {
            req.headers.append(*name, *value);
        }
        req
    }

    fn small_limits() -> Limits {
        Limits {
            max_request_line: 32,
            max_header_bytes: 64,
            max_headers: 2,
            max_body: 10,
        }
    }

    #[test]
    fn no_framing_fields_means_no_body_per_section_6_3_item_7() {
        assert_eq!(
            body_length(&with_headers(&[]), &Limits::default()),
            Ok(BodyLength::Empty)
        );
        let zero = with_headers(&[("Content-Length", "0")]);
        assert_eq!(
            body_length(&zero, &Limits::default()),
            Ok(BodyLength::Empty)
        );
    }

    #[test]
    fn content_length_gives_a_fixed_body() {
        let req = with_headers(&[("Content-Length", "42")]);
        assert_eq!(
            body_length(&req, &Limits::default()),
            Ok(BodyLength::Fixed(42))
        );
    }

    #[test]
    fn repeated_equal_content_lengths_are_accepted_per_rfc9110_section_8_6() {
        let req = with_headers(&[("Content-Length", "7, 7"), ("Content-Length", "7")]);
        assert_eq!(
            body_length(&req, &Limits::default()),
            Ok(BodyLength::Fixed(7))
        );
    }

    #[test]
    fn invalid_or_disagreeing_content_length_is_400() {
        for value in ["", "-1", "+5", "0x10", "5 5", "1.0", "5, 6", "5,"] {
            let req = with_headers(&[("Content-Length", value)]);
            assert_eq!(
                body_length(&req, &Limits::default()),
                Err(RequestError::BadContentLength),
                "{value:?}"
            );
        }
        let two = with_headers(&[("Content-Length", "5"), ("Content-Length", "6")]);
        assert_eq!(
            body_length(&two, &Limits::default()),
            Err(RequestError::BadContentLength)
        );
        assert_eq!(RequestError::BadContentLength.status(), Status::BAD_REQUEST);
    }

    #[test]
    fn content_length_over_max_body_is_413_before_reading() {
        let limits = small_limits();
        let at_limit = with_headers(&[("Content-Length", "10")]);
        assert_eq!(body_length(&at_limit, &limits), Ok(BodyLength::Fixed(10)));
        let over = with_headers(&[("Content-Length", "11")]);
        assert_eq!(body_length(&over, &limits), Err(RequestError::BodyTooLarge));
        let huge = with_headers(&[("Content-Length", "99999999999999999999999")]);
        assert_eq!(body_length(&huge, &limits), Err(RequestError::BodyTooLarge));
        assert_eq!(
            RequestError::BodyTooLarge.status(),
            Status::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn chunked_transfer_encoding_is_decoded_rather_than_refused() {
        let req = with_headers(&[("Transfer-Encoding", "Chunked")]);
        assert_eq!(
            body_length(&req, &Limits::default()),
            Ok(BodyLength::Chunked)
        );
    }

    #[test]
    fn both_transfer_encoding_and_content_length_is_400_per_section_6_1() {
        let req = with_headers(&[("Transfer-Encoding", "chunked"), ("Content-Length", "5")]);
        let err = body_length(&req, &Limits::default()).unwrap_err();
        assert_eq!(
            (err.clone(), err.status()),
            (RequestError::ConflictingLength, Status::BAD_REQUEST)
        );
    }

    #[test]
    fn unknown_coding_before_chunked_is_501_per_section_6_1() {
        let req = with_headers(&[("Transfer-Encoding", "gzip, chunked")]);
        let err = body_length(&req, &Limits::default()).unwrap_err();
        assert_eq!(err, RequestError::UnsupportedTransferEncoding);
        assert_eq!(err.status(), Status::NOT_IMPLEMENTED);
        let twice = with_headers(&[
            ("Transfer-Encoding", "chunked"),
            ("Transfer-Encoding", "chunked"),
        ]);
        assert_eq!(
            body_length(&twice, &Limits::default()),
            Err(RequestError::UnsupportedTransferEncoding)
        );
    }

    #[test]
    fn coding_list_not_ending_in_chunked_is_400_per_section_6_3_item_4() {
        for value in ["gzip", "chunked, gzip", "", "identity"] {
            let req = with_headers(&[("Transfer-Encoding", value)]);
            let err = body_length(&req, &Limits::default()).unwrap_err();
            assert_eq!(
                (err.clone(), err.status()),
                (RequestError::ChunkedNotFinal, Status::BAD_REQUEST),
                "{value:?}"
            );
        }
    }

    #[test]
    fn transfer_encoding_in_http10_is_400_per_section_6_1() {
        let mut req = with_headers(&[("Transfer-Encoding", "chunked")]);
        req.version = Version::Http10;
        assert_eq!(
            body_length(&req, &Limits::default()).unwrap_err().status(),
            Status::BAD_REQUEST
        );
    }

    // chunked coding, RFC 9112 §7.1

    const WIKIPEDIA: &[u8] = b"4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n";

    #[test]
    fn chunks_join_into_the_body_and_use_every_byte() {
        let (body, used) = decode_chunked(WIKIPEDIA, 1024).unwrap().expect("complete");
        assert_eq!(
            (body.as_slice(), used),
            (&b"Wikipedia in\r\n\r\nchunks."[..], WIKIPEDIA.len())
        );
    }

    #[test]
    fn every_prefix_of_a_chunked_body_is_incomplete() {
        for split in 0..WIKIPEDIA.len() {
            assert_eq!(
                decode_chunked(&WIKIPEDIA[..split], 1024),
                Ok(None),
                "split at {split}"
            );
        }
    }

    #[test]
    fn bytes_after_the_body_belong_to_the_next_request() {
        let mut bytes = b"3\r\nabc\r\n0\r\n\r\n".to_vec();
        let body_len = bytes.len();
        bytes.extend_from_slice(b"GET / HTTP/1.1\r\n");
        assert_eq!(
            decode_chunked(&bytes, 1024),
            Ok(Some((b"abc".to_vec(), body_len)))
        );
    }

    #[test]
    fn extensions_are_ignored_per_section_7_1_1() {
        let bytes = b"5;name=value\r\nhello\r\n6 ; a = \"b;c\"\r\n world\r\n0;last\r\n\r\n";
        assert_eq!(
            decode_chunked(bytes, 1024).unwrap().map(|(b, _)| b),
            Some(b"hello world".to_vec())
        );
    }

    #[test]
    fn trailer_fields_are_discarded_per_section_7_1_2() {
        let bytes = b"2\r\nhi\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
        assert_eq!(
            decode_chunked(bytes, 1024),
            Ok(Some((b"hi".to_vec(), bytes.len())))
        );
    }

    #[test]
    fn sizes_are_hex_in_either_case_with_leading_zeros() {
        let bytes = b"0a\r\n0123456789\r\nA\r\n0123456789\r\n000\r\n\r\n";
        assert_eq!(
            decode_chunked(bytes, 1024).unwrap().map(|(b, _)| b.len()),
            Some(20)
        );
    }

    #[test]
    fn chunk_size_over_max_body_is_413_before_its_data_arrives() {
        assert_eq!(
            decode_chunked(b"b\r\n", 10),
            Err(RequestError::BodyTooLarge)
        );
        assert_eq!(decode_chunked(b"a\r\n0123456789\r\n", 10), Ok(None));
        assert_eq!(
            decode_chunked(b"6\r\n012345\r\n5\r\n", 10),
            Err(RequestError::BodyTooLarge)
        );
    }

    #[test]
    fn chunk_size_too_big_for_usize_is_413() {
        assert_eq!(
            decode_chunked(b"fffffffffffffffffffff\r\n", 10),
            Err(RequestError::BodyTooLarge)
        );
    }

    #[test]
    fn malformed_chunks_are_400() {
        let cases: [&[u8]; 7] = [
            b"x\r\n",                  // not hex
            b"\r\n",                   // no size at all
            b"3\r\nabcX\r\n0\r\n\r\n", // data longer than its size
            b"3 \r\nabc\r\n0\r\n\r\n", // whitespace with no extension after it
            b"3\nabc\r\n0\r\n\r\n",    // bare LF ends nothing in a chunked body
            b"3;a\x01\r\nabc\r\n",     // control character in an extension
            b"-3\r\nabc\r\n",          // signed size
        ];
        for bytes in cases {
            let err = decode_chunked(bytes, 1024).unwrap_err();
            assert_eq!(
                err.status(),
                Status::BAD_REQUEST,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn endless_chunk_line_is_refused_before_it_ends() {
        let mut bytes = b"5;".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_CHUNK_LINE));
        assert!(matches!(
            decode_chunked(&bytes, 1024),
            Err(RequestError::BadChunk(_))
        ));
    }

    #[test]
    fn endless_trailers_are_413_once_the_framing_allowance_is_spent() {
        let mut bytes = b"0\r\n".to_vec();
        while bytes.len() <= 2 * MIN_FRAMING_ALLOWANCE {
            bytes.extend_from_slice(b"X-Pad: 0123456789\r\n");
        }
        let mut unbounded_trailers = ChunkedDecoder::with_trailer_limit(usize::MAX);
        assert_eq!(
            unbounded_trailers.decode(&bytes, 10),
            Err(RequestError::BodyTooLarge)
        );
    }

    #[test]
    fn trailers_over_the_header_limit_are_431() {
        let mut bytes = b"2\r\nhi\r\n0\r\n".to_vec();
        while bytes.len() < 200 {
            bytes.extend_from_slice(b"X-Pad: 0123456789\r\n");
        }
        let mut decoder = ChunkedDecoder::with_trailer_limit(100);
        let err = decoder.decode(&bytes, 1024).unwrap_err();
        assert_eq!(err, RequestError::HeadersTooLarge);
        assert_eq!(err.status(), Status::REQUEST_HEADER_FIELDS_TOO_LARGE);
        // At the limit exactly, the section is fine: 2 lines of 19 bytes and the final CRLF.
        let fits = b"0\r\nX-Pad: 0123456789\r\nX-Pad: 0123456789\r\n\r\n";
        let mut decoder = ChunkedDecoder::with_trailer_limit(2 * 19 + 2);
        assert_eq!(decoder.decode(fits, 1024), Ok(Some(fits.len())));
    }

    #[test]
    fn a_trailer_line_still_arriving_counts_against_the_limit() {
        let mut bytes = b"0\r\nX-Long: ".to_vec();
        bytes.extend(std::iter::repeat_n(b'a', 150));
        let mut decoder = ChunkedDecoder::with_trailer_limit(100);
        assert_eq!(
            decoder.decode(&bytes, 1024),
            Err(RequestError::HeadersTooLarge)
        );
    }

    #[test]
    fn trailer_lines_already_read_are_not_read_again() {
        // The decoder resumes after the last whole trailer line: if it went back to the
        // start of the section on every read (as it once did, costing a core per trickling
        // client), it would now see the control character swapped into a line it had
        // already accepted, and fail.
        let first = b"0\r\nX-One: 1\r\nX-Two: 2\r\n";
        let mut decoder = ChunkedDecoder::default();
        assert_eq!(decoder.decode(first, 1024), Ok(None));
        let mut later = first.to_vec();
        later[3] = 0x01; // inside "X-One: 1", already accepted
        later.extend_from_slice(b"\r\n");
        assert_eq!(decoder.decode(&later, 1024), Ok(Some(later.len())));
    }

    #[test]
    fn a_bare_lf_in_a_line_still_arriving_is_400_at_once() {
        // No CRLF will ever make "3\nab" valid: answering now beats waiting for the timeout.
        for bytes in [&b"3\nab"[..], b"3;x\n", b"2\r\nhi\r\n0\r\nX-A: 1\n"] {
            let err = decode_chunked(bytes, 1024).unwrap_err();
            assert!(
                matches!(err, RequestError::BadChunk(_)),
                "{bytes:?}: {err:?}"
            );
        }
        // A CR at the very end may be the first half of its CRLF: wait for more.
        assert_eq!(decode_chunked(b"3\r", 1024), Ok(None));
        assert_eq!(decode_chunked(b"3;ext=1\r", 1024), Ok(None));
    }

    #[test]
    fn the_resuming_decoder_reads_each_chunk_once_across_many_reads() {
        let mut wire = Vec::new();
        for _ in 0..1000 {
            wire.extend_from_slice(b"1\r\nx\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let mut decoder = ChunkedDecoder::default();
        let mut done = None;
        // Seven bytes at a time, as a slow client might send them.
        for end in (7..=wire.len()).step_by(7).chain([wire.len()]) {
            done = decoder.decode(&wire[..end], 1 << 20).unwrap();
            if done.is_some() {
                break;
            }
        }
        assert_eq!(done, Some(wire.len()));
        assert_eq!(decoder.take_body(), vec![b'x'; 1000]);
    }
}
