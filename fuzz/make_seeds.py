#!/usr/bin/env python3
"""Writes the seed corpus (corpus/<target>/seed-*): SIP and SDP from the project's fixtures,
hand-built RTP, RTCP, RFC 4733, INFO, H.264 and jitter-buffer inputs. Run from anywhere;
files other than seed-* (regressions found by fuzzing) are left alone.
Input layouts of the structured targets are documented in src/<target>.rs."""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
CORPUS = HERE / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def clear_seeds():
    for f in CORPUS.glob("*/seed-*"):
        f.unlink()


def rtp(pt, seq, ts, ssrc, payload, marker=False, csrcs=(), ext=None, pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrcs)
    out = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    for c in csrcs:
        out += struct.pack("!I", c)
    if ext is not None:
        profile, words = ext
        out += struct.pack("!HH", profile, len(words) // 4) + words
    out += payload
    if pad:
        out += bytes(pad - 1) + bytes([pad])
    return out


def rtcp(pt, count, body, pad=0):
    if pad:
        body = body + bytes(pad - 1) + bytes([pad])
    assert len(body) % 4 == 0
    return struct.pack("!BBH", 0x80 | (0x20 if pad else 0) | count, pt, len(body) // 4) + body


def block(ssrc, frac, lost, ext_seq, jitter, lsr, dlsr):
    return struct.pack("!IIIIII", ssrc, (frac << 24) | (lost & 0xFFFFFF), ext_seq, jitter, lsr, dlsr)


def sdes(ssrc, items):
    chunk = struct.pack("!I", ssrc)
    for kind, text in items:
        chunk += bytes([kind, len(text)]) + text
    chunk += b"\0"
    chunk += bytes(-len(chunk) % 4)
    return rtcp(202, 1, chunk)


def sip_and_sdp():
    sip = sorted((FIXTURES / "sip" / "rfc4475").glob("*.sip")) + sorted(
        (FIXTURES / "sip" / "corpus").glob("*.sip"))
    for f in sip:
        write("sip_message", f.name, f.read_bytes())
        write("sip_framer", f.name, f.read_bytes())
    # Streams: pipelined messages with RFC 5626 §3.5.1 keep-alives between them.
    a = (FIXTURES / "sip" / "corpus").glob("*.sip")
    msgs = [f.read_bytes() for f in sorted(a)]
    write("sip_framer", "pipelined.stream", msgs[0] + b"\r\n\r\n" + msgs[1] + msgs[2])
    write("sip_framer", "keepalive-then-half.stream", b"\r\n\r\n" + msgs[0][: len(msgs[0]) // 2])
    for f in sorted((FIXTURES / "sdp").glob("*.sdp")):
        write("sdp", f.name, f.read_bytes())


def rtp_seeds():
    pcmu = bytes(range(160))
    write("rtp", "pcmu.bin", rtp(0, 1, 160, 0x1234, pcmu, marker=True))
    write("rtp", "pcma-wrap.bin", rtp(8, 65535, 0xFFFFFF60, 0xDEADBEEF, pcmu))
    write("rtp", "csrc.bin", rtp(9, 7, 320, 1, pcmu[:80], csrcs=(0xAA, 0xBB)))
    # RFC 8285 one-byte header extension (audio level), then padding.
    write("rtp", "ext-pad.bin", rtp(111, 9, 960, 2, b"\x48" + pcmu[:40],
                                    ext=(0xBEDE, b"\x10\x7f\x00\x00"), pad=4))
    write("rtp", "header-only.bin", rtp(0, 3, 0, 3, b""))
    write("rtp", "h264-fua.bin", rtp(96, 100, 90000, 4, b"\x7c\x85" + pcmu[:60], marker=True))
    write("rtp", "te-end.bin", rtp(101, 5, 800, 5, b"\x05\x8a\x03\x20"))
    write("rtp", "bad-padding.bin", rtp(0, 1, 0, 1, b"\x01\x02", pad=0)[:-1] + b"\x09")
    write("rtp", "truncated-ext.bin", rtp(0, 1, 0, 1, b"", ext=(0xBEDE, b"\x00" * 8))[:18])
    write("rtp", "version1.bin", b"\x40" + rtp(0, 1, 0, 1, pcmu[:8])[1:])


def rtcp_seeds():
    b1 = block(0x1234, 25, 3, 70000, 12, 0x12345678, 65536)
    b2 = block(0x5678, 255, -5 & 0xFFFFFF, 1, 2, 3, 4)
    sr = rtcp(200, 1, struct.pack("!IQIII", 1, 0x0102030405060708, 160, 50, 8000) + b1)
    rr = rtcp(201, 2, struct.pack("!I", 2) + b1 + b2)
    cname = sdes(1, [(1, b"leg1@roomgate")])
    write("rtcp", "sr-sdes.bin", sr + cname)
    write("rtcp", "rr-sdes.bin", rr + sdes(2, [(1, b"room@10.0.0.2"), (2, b"Room 2"), (6, b"Poly")]))
    write("rtcp", "rr-empty-padded.bin", rtcp(201, 0, struct.pack("!I", 3), pad=4))
    reason = b"moved to a breakout room"
    write("rtcp", "bye.bin", rtcp(203, 2, struct.pack("!II", 1, 2) + bytes([len(reason)]) + reason + bytes(-(len(reason) + 1) % 4)))
    write("rtcp", "bye-bare.bin", rtcp(203, 1, struct.pack("!I", 9)))
    write("rtcp", "nack.bin", rr + rtcp(205, 1, struct.pack("!IIHHHH", 1, 2, 100, 0x8001, 5000, 0)))
    write("rtcp", "tmmbr.bin", rtcp(205, 3, struct.pack("!III", 1, 0, 2) + struct.pack("!I", (3 << 26) | (64000 << 9) | 40)))
    write("rtcp", "pli.bin", rr + rtcp(206, 1, struct.pack("!II", 1, 2)))
    write("rtcp", "fir.bin", rtcp(206, 4, struct.pack("!IIIBxxx", 1, 0, 2, 7)))
    remb = struct.pack("!II", 1, 0) + b"REMB" + struct.pack("!I", (2 << 24) | (3 << 18) | 187500) + struct.pack("!II", 2, 3)
    write("rtcp", "remb.bin", rr + rtcp(206, 15, remb))
    write("rtcp", "app.bin", rr + rtcp(204, 0, struct.pack("!I", 1) + b"name" + b"data"))
    write("rtcp", "xr.bin", rtcp(207, 0, struct.pack("!I", 1) + b"\x04\x00\x00\x02" + bytes(8)))
    write("rtcp", "sdes-latin1.bin", sdes(7, [(1, b"caf\xe9@room")]))
    write("rtcp", "truncated.bin", (sr + cname)[:30])


def rfc4733_seeds():
    # The first 4 bytes are also one event payload; the whole file is also a stream of
    # [advance][timestamp index][repeat][payload] records and a sender run.
    def rec(adv, tsi, rep, event, end, vol, dur):
        return bytes([adv, tsi, rep]) + struct.pack("!BBH", event, (0x80 if end else 0) | vol, dur)

    digit5 = b"".join(rec(1, 2, 0, 5, False, 10, d) for d in (160, 320, 480)) + b"".join(
        rec(1, 2, 1, 5, True, 10, 800) for _ in range(3))
    write("rfc4733", "digit5-stream.bin", digit5)
    write("rfc4733", "hash-end.bin", struct.pack("!BBH", 11, 0x8a, 1600))
    write("rfc4733", "flash.bin", struct.pack("!BBH", 16, 0x0a, 160))
    write("rfc4733", "unknown-event.bin", struct.pack("!BBH", 200, 0xca, 65535))
    lost_end = rec(0, 1, 0, 1, False, 10, 400) + rec(5, 3, 0, 10, False, 10, 160) + rec(7, 3, 0, 10, False, 10, 320)
    write("rfc4733", "lost-end.bin", lost_end)
    write("rfc4733", "short.bin", b"\x05\x8a")
    # Sender runs: event, duration, frame choice, timestamp, loss bitmap.
    write("rfc4733", "sender-loss.bin", bytes([11]) + struct.pack("!H", 1600) + b"\x01" + struct.pack("!I", 0xFFFFFF00) + b"\x0f\xf0\xff")


def info_seeds():
    bodies = [
        (b"application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n"),
        (b"application/dtmf-relay", b"Duration=250\nSignal= #\n"),
        (b"Application/DTMF-Relay", b"Signal=*\r\n"),
        (b"application/dtmf-relay", b"Signal=\r\nSignal=1\r\n"),
        (b"application/dtmf", b"7"),
        (b"application/dtmf", b" \r\nA\r\n"),
        (b"application/dtmf; charset=utf-8", b"\xff5"),
        (b"application/media_control+xml", b"<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>"),
        (b"application/sdp", b"Signal=5"),
    ]
    for i, (ct, body) in enumerate(bodies):
        write("info_dtmf", f"{i:02}.txt", ct + b"\0" + body)
    write("info_dtmf", "choice-relay.txt", b"\x06Signal=9\r\nDuration=100")
    write("info_dtmf", "choice-dtmf.txt", b"\x01#")


def h264_seeds():
    sps = b"\x67\x42\xe0\x1f\xda\x01\x40\x16\xe8\x06\xd0\xa1\x35"
    pps = b"\x68\xce\x06\xe2"
    write("h264_keyframe", "idr.bin", b"\x65\x88\x84\x00\x33\xff")
    write("h264_keyframe", "sps.bin", sps)
    write("h264_keyframe", "non-idr.bin", b"\x41\x9a\x02\x00")
    write("h264_keyframe", "fua-idr-start.bin", b"\x7c\x85\x88\x84\x00")
    write("h264_keyframe", "fua-idr-middle.bin", b"\x7c\x05\x10\x20")
    write("h264_keyframe", "fua-end.bin", b"\x7c\x45\x10\x20")
    stap = b"\x78" + struct.pack("!H", len(sps)) + sps + struct.pack("!H", len(pps)) + pps
    write("h264_keyframe", "stap-sps-pps.bin", stap)
    write("h264_keyframe", "stap-no-key.bin", b"\x78" + struct.pack("!H", 4) + b"\x41\x9a\x02\x00" + struct.pack("!H", len(pps)) + pps)
    write("h264_keyframe", "stap-truncated.bin", b"\x78\x00\x10\x41")
    for name, text in [("plid-cb31", "42e01f"), ("plid-high", "640028"), ("plid-1b", "42f00b"),
                       ("fmtp-ok", "profile-level-id=42e01f;packetization-mode=1"),
                       ("fmtp-mode0", "profile-level-id=42e01f"),
                       ("fmtp-high", "packetization-mode=1; profile-level-id=64001f; max-mbps=108000")]:
        write("h264_keyframe", name + ".txt", text.encode())


def jitter_seeds():
    # [codec: 0 PCMU, 1 PCMA, 2 G.722, 3 Opus][target: 20 + n ms], then records:
    # pull: op & 3 == 0, (op >> 2) % 4 + 1 ticks;
    # packet: [op][seq:2][timestamp step:2 signed][(abs ts:4 if op & 0x10)][len/2][payload].
    def pkt(seq, step, payload, marker=False, other_ssrc=False, abs_ts=None, arrival=0):
        op = 1 | (0x04 if marker else 0) | (0x08 if other_ssrc else 0) | (0x10 if abs_ts is not None else 0) | (arrival << 5)
        out = bytes([op]) + struct.pack("!Hh", seq, step)
        if abs_ts is not None:
            out += struct.pack("!I", abs_ts)
        assert len(payload) % 2 == 0
        return out + bytes([len(payload) // 2]) + payload

    def pull(n=1):
        return bytes([(n - 1) << 2])

    frame = bytes((i * 7) & 0xFF for i in range(160))
    in_order = b"\x00\x14" + pkt(1, 160, frame, marker=True) + b"".join(
        pkt(1 + i, 160, frame) + pull() for i in range(1, 12))
    write("jitter", "pcmu-in-order.bin", in_order)
    reorder = b"\x01\x14" + pkt(10, 160, frame, marker=True) + pkt(12, 320, frame) + pkt(11, -160, frame) + pkt(11, 0, frame) + pull(4) + pkt(13, 320, frame, arrival=5) + pull(4)
    write("jitter", "pcma-reorder-dup.bin", reorder)
    tens = b"\x00\x00" + b"".join(pkt(i, 80, frame[:80]) + (pull() if i % 2 else b"") for i in range(20))
    write("jitter", "pcmu-10ms.bin", tens)
    g722 = b"\x02\x28" + pkt(100, 0, frame + frame[:80], marker=True, abs_ts=0xFFFFFF00) + pkt(101, 240, frame + frame[:80]) + pull(4)
    write("jitter", "g722-30ms-wrap.bin", g722)
    jump = b"\x00\x14" + pkt(1, 160, frame) + pull(2) + pkt(2, 160, frame, abs_ts=5_000_000) + pull(3)
    write("jitter", "pcmu-ts-jump.bin", jump)
    ssrc = b"\x00\x14" + pkt(1, 160, frame) + pull() + pkt(900, 20000, frame, other_ssrc=True) + pkt(901, 160, frame, other_ssrc=True) + pkt(902, 160, frame, other_ssrc=True) + pull(4)
    write("jitter", "pcmu-new-ssrc.bin", ssrc)
    restart = b"\x00\x14" + pkt(1, 160, frame) + pkt(30000, 160, frame) + pkt(30001, 160, frame) + pull(4)
    write("jitter", "pcmu-seq-restart.bin", restart)
    loss = b"\x00\x28" + pkt(1, 160, frame, marker=True) + pull(2) + pkt(5, 640, frame) + pull(4)
    write("jitter", "pcmu-loss-plc.bin", loss)
    # Opus: ToC config 9 (SILK WB 20 ms), code 0, and code 3 with two frames.
    silk = b"\x48" + bytes((i * 13) & 0xFF for i in range(59))
    opus = b"\x03\x14" + b"".join(pkt(i, 960, silk, marker=(i == 0)) + pull() for i in range(8))
    write("jitter", "opus-silk-20ms.bin", opus)
    two = b"\x4b\x02" + bytes(20)
    write("jitter", "opus-code3.bin", b"\x03\x00" + pkt(1, 960, two) + pkt(2, 1920, two) + pull(4))
    write("jitter", "opus-bad-toc.bin", b"\x03\x00" + pkt(1, 960, b"\x4b\x00") + pull(2))


if __name__ == "__main__":
    clear_seeds()
    sip_and_sdp()
    rtp_seeds()
    rtcp_seeds()
    rfc4733_seeds()
    info_seeds()
    h264_seeds()
    jitter_seeds()
