//! RFC 6455's rules, tested with bytes a well-behaved client never sends: each broken rule
//! must end the connection with the close code the RFC assigns (§7.4.1), and a rule kept
//! must be answered properly (pings, fragments, close codes).

mod common;

use std::io::Write;

use common::{
    client_frame, echo_router, raw_websocket, read_close_code, read_frame, send_frame, start,
};

const FIN_TEXT: u8 = 0x81;
const FIN_BINARY: u8 = 0x82;
const TEXT: u8 = 0x01;
const FIN_CONTINUATION: u8 = 0x80;
const CONTINUATION: u8 = 0x00;
const FIN_CLOSE: u8 = 0x88;
const FIN_PING: u8 = 0x89;

fn close_code_after(frames: &[(u8, &[u8])]) -> Option<u16> {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    for (first, payload) in frames {
        send_frame(&mut ws, *first, payload);
    }
    read_close_code(&mut ws)
}

#[test]
fn unmasked_client_frame_closes_with_1002_per_section_5_1() {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    ws.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    assert_eq!(read_close_code(&mut ws), Some(1002));
}

#[test]
fn reserved_bits_close_with_1002_per_section_5_2() {
    for rsv in [0x40, 0x20, 0x10] {
        assert_eq!(
            close_code_after(&[(FIN_TEXT | rsv, b"hi")]),
            Some(1002),
            "RSV bit {rsv:#x}"
        );
    }
}

#[test]
fn reserved_opcodes_close_with_1002_per_section_5_2() {
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        assert_eq!(
            close_code_after(&[(0x80 | opcode, b"")]),
            Some(1002),
            "opcode {opcode:#x}"
        );
    }
}

#[test]
fn control_frame_over_125_bytes_closes_with_1002_per_section_5_5() {
    assert_eq!(close_code_after(&[(FIN_PING, &[0u8; 126])]), Some(1002));
}

#[test]
fn fragmented_control_frame_closes_with_1002_per_section_5_5() {
    assert_eq!(close_code_after(&[(0x09, b"ping")]), Some(1002));
}

#[test]
fn continuation_with_nothing_to_continue_closes_with_1002_per_section_5_4() {
    assert_eq!(close_code_after(&[(FIN_CONTINUATION, b"lost")]), Some(1002));
}

#[test]
fn new_message_inside_a_fragmented_one_closes_with_1002_per_section_5_4() {
    assert_eq!(
        close_code_after(&[(TEXT, b"part"), (FIN_TEXT, b"intruder")]),
        Some(1002)
    );
}

#[test]
fn invalid_utf8_in_text_closes_with_1007_per_section_8_1() {
    assert_eq!(
        close_code_after(&[(FIN_TEXT, &[0xce, 0xba, 0xed, 0xa0, 0x80])]),
        Some(1007)
    );
}

#[test]
fn invalid_utf8_is_caught_in_the_first_fragment_without_waiting_for_the_rest() {
    // The message never finishes: the server must fail it from the first fragment alone.
    assert_eq!(
        close_code_after(&[(TEXT, &[0xf4, 0x90, 0x80, 0x80])]),
        Some(1007)
    );
}

#[test]
fn utf8_split_across_fragments_is_accepted() {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    let text = "κόσμε".as_bytes();
    send_frame(&mut ws, TEXT, &text[..3]); // cuts "ό" in half
    send_frame(&mut ws, FIN_CONTINUATION, &text[3..]);
    assert_eq!(read_frame(&mut ws), Some((FIN_TEXT, text.to_vec())));
}

#[test]
fn fragmented_message_with_interleaved_pings_is_reassembled_per_section_5_4() {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    send_frame(&mut ws, TEXT, b"frag");
    send_frame(&mut ws, FIN_PING, b"p1");
    send_frame(&mut ws, CONTINUATION, b"men");
    send_frame(&mut ws, FIN_PING, b"p2");
    send_frame(&mut ws, FIN_CONTINUATION, b"ted");
    assert_eq!(
        read_frame(&mut ws),
        Some((0x8A, b"p1".to_vec())),
        "pong with the ping's payload"
    );
    assert_eq!(read_frame(&mut ws), Some((0x8A, b"p2".to_vec())));
    assert_eq!(
        read_frame(&mut ws),
        Some((FIN_TEXT, b"fragmented".to_vec()))
    );
}

#[test]
fn binary_message_in_many_fragments_arrives_whole() {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    let mut bytes = Vec::new();
    send_frame(&mut ws, 0x02, &[0]);
    bytes.push(0);
    for i in 1..100u8 {
        send_frame(&mut ws, CONTINUATION, &[i]);
        bytes.push(i);
    }
    send_frame(&mut ws, FIN_CONTINUATION, &[]);
    assert_eq!(read_frame(&mut ws), Some((FIN_BINARY, bytes)));
}

#[test]
fn close_is_echoed_with_the_same_code_per_section_5_5_1() {
    for code in [1000u16, 1001, 1003, 1007, 1011, 3000, 4999] {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        assert_eq!(
            close_code_after(&[(FIN_CLOSE, &payload)]),
            Some(code),
            "code {code}"
        );
    }
}

#[test]
fn empty_close_is_answered_with_an_empty_close() {
    assert_eq!(close_code_after(&[(FIN_CLOSE, b"")]), None);
}

#[test]
fn invalid_close_codes_close_with_1002_per_section_7_4() {
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000] {
        assert_eq!(
            close_code_after(&[(FIN_CLOSE, &code.to_be_bytes())]),
            Some(1002),
            "code {code}"
        );
    }
}

#[test]
fn one_byte_close_payload_closes_with_1002_per_section_5_5_1() {
    assert_eq!(close_code_after(&[(FIN_CLOSE, &[0x03])]), Some(1002));
}

#[test]
fn invalid_utf8_close_reason_closes_with_1007() {
    assert_eq!(
        close_code_after(&[(FIN_CLOSE, &[0x03, 0xe8, 0xff, 0xfe])]),
        Some(1007)
    );
}

#[test]
fn message_over_the_size_limit_closes_with_1009_per_section_10_4() {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    // Only the header: the limit must be enforced before the payload arrives.
    let mut header = client_frame(FIN_BINARY, &[]);
    header[1] = 0x80 | 127;
    header.splice(2..2, (64u64 << 20).to_be_bytes());
    ws.write_all(&header[..14]).unwrap();
    assert_eq!(read_close_code(&mut ws), Some(1009));
}

#[test]
fn fragments_adding_up_past_the_limit_close_with_1009() {
    let server = start(echo_router());
    let mut ws = raw_websocket(server.addr(), "/echo");
    let chunk = vec![b'a'; 60_000];
    // 18 fragments of 60,000 bytes pass the default 1 MiB message limit; the server may
    // close before we finish writing, so later writes are allowed to fail.
    for i in 0..18 {
        let first_byte = if i == 0 { 0x02 } else { CONTINUATION };
        if ws.write_all(&client_frame(first_byte, &chunk)).is_err() {
            break;
        }
    }
    assert_eq!(read_close_code(&mut ws), Some(1009));
}
