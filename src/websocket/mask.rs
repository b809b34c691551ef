//! Masking: the XOR every client-to-server payload goes through (RFC 6455 §5.3).
//!
//! A client picks a fresh 4-byte key for each frame (`sender.rs` takes it from `entropy.rs`),
//! sends it in the header, and XORs the payload with it; the server XORs again to get the
//! bytes back. `frame.rs` calls [`apply_mask`] on a whole payload, `connection.rs` on each
//! piece of one as it arrives. No I/O here, and no rule to enforce: who must mask (§5.1) is
//! checked in frame.rs.
//!
//! Why mask at all, when the key travels beside the data? Not for secrecy: RFC 6455 §10.3
//! ("Attacks On Infrastructure (Masking)") describes a script in a hostile page, talking
//! through a proxy that does not understand WebSocket, writing bytes that look like an HTTP
//! request and so poisoning the proxy's cache. With a key the script cannot predict, it no
//! longer chooses the bytes on the wire.
//!
//! Why a word at a time: a server unmasks every byte of every frame a client sends, so this
//! loop runs over all the data that comes in. XORing eight bytes as one `u64` takes an eighth
//! of the XORs of the byte-by-byte formula in §5.3, and gives the same bytes (the tests hold
//! the two together for every length and offset up to a few words).

/// XORs `data` with the masking key (RFC 6455 §5.3): byte `i` of the payload with
/// `key[i % 4]`. `offset` is the position of `data[0]` within the frame's payload, so a
/// payload can be unmasked in pieces as it arrives. Masking twice restores the bytes.
///
/// It works a machine word at a time: eight payload bytes meet the key repeated twice
/// (rotated by `offset`), as one `u64` XOR. `from_ne_bytes`/`to_ne_bytes` keep byte `i` of
/// the word at byte `i` in memory on any endianness, and copy, so no alignment is needed
/// and only the tail of fewer than 8 bytes goes byte by byte.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let phase = offset % 4;
    let key_at = |i: usize| key[(phase + i) % 4];
    // Every 8-byte chunk starts a multiple of 4 bytes after data[0], so one word fits all.
    let mask_word = u64::from_ne_bytes(std::array::from_fn(key_at));
    let (words, tail) = data.as_chunks_mut::<8>();
    let tail_start = words.len() * 8;
    for word in words {
        *word = (u64::from_ne_bytes(*word) ^ mask_word).to_ne_bytes();
    }
    for (i, byte) in tail.iter_mut().enumerate() {
        *byte ^= key_at(tail_start + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masking key of RFC 6455 §5.7's masked examples.
    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// Byte-at-a-time masking, straight from the §5.3 formula `j = i MOD 4`.
    fn mask_byte_by_byte(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in data.iter_mut().enumerate() {
            *byte ^= key[(offset + i) % 4];
        }
    }

    // --- RFC 6455 §5.3 and its §5.7 example ----------------------------------------------

    #[test]
    fn masking_hello_with_the_section_5_7_key_gives_the_rfc_bytes() {
        let mut data = *b"Hello";
        apply_mask(&mut data, KEY, 0);
        assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        apply_mask(&mut data, KEY, 0);
        assert_eq!(&data, b"Hello", "masking twice restores the payload");
    }

    #[test]
    fn word_at_a_time_masking_matches_byte_by_byte_for_all_lengths_and_offsets() {
        let key = [0x01, 0x80, 0x7F, 0xFE];
        for len in 0..=70 {
            for offset in 0..=13 {
                let original: Vec<u8> = (0..len).map(|i| (i * 37 + offset) as u8).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast, key, offset);
                mask_byte_by_byte(&mut slow, key, offset);
                assert_eq!(fast, slow, "length {len}, offset {offset}");
            }
        }
    }

    #[test]
    fn unmasking_in_pieces_matches_unmasking_whole_per_section_5_3() {
        let payload: Vec<u8> = (0..100u8).collect();
        let mut whole = payload.clone();
        apply_mask(&mut whole, KEY, 0);
        for a in 0..=payload.len() {
            for b in (a..=payload.len()).step_by(7) {
                let mut pieces = payload.clone();
                let (first, rest) = pieces.split_at_mut(a);
                let (second, third) = rest.split_at_mut(b - a);
                apply_mask(first, KEY, 0);
                apply_mask(second, KEY, a);
                apply_mask(third, KEY, b);
                assert_eq!(pieces, whole, "cuts at {a} and {b}");
            }
        }
    }
}
