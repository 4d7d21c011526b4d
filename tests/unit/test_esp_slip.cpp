#include <catch2/catch.hpp>

#include "vesper/rom/slip.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

std::vector<Bytes> drain(SlipDecoder& d) {
    std::vector<Bytes> out;
    while (auto f = d.pop_frame())
        out.push_back(*f);
    return out;
}

std::vector<Bytes> decode_all(const Bytes& wire) {
    SlipDecoder d;
    d.feed(wire);
    return drain(d);
}

} // namespace

TEST_CASE("slip encode escapes C0 and DB, also at the frame edges", "[esp][slip]") {
    CHECK(slip_encode(Bytes{0x01, 0x02}) == Bytes{0xC0, 0x01, 0x02, 0xC0});
    CHECK(slip_encode(Bytes{0xC0}) == Bytes{0xC0, 0xDB, 0xDC, 0xC0});
    CHECK(slip_encode(Bytes{0xDB}) == Bytes{0xC0, 0xDB, 0xDD, 0xC0});
    CHECK(slip_encode(Bytes{0xC0, 0x55, 0xDB}) == Bytes{0xC0, 0xDB, 0xDC, 0x55, 0xDB, 0xDD, 0xC0});
    CHECK(slip_encode(Bytes{0xDB, 0xDC}) == Bytes{0xC0, 0xDB, 0xDD, 0xDC, 0xC0}); // DC alone is not escaped
    CHECK(slip_encode(Bytes{}) == Bytes{0xC0, 0xC0});

    Bytes batch;
    slip_encode_append(Bytes{0x01}, batch);
    slip_encode_append(Bytes{0x02}, batch);
    CHECK(batch == Bytes{0xC0, 0x01, 0xC0, 0xC0, 0x02, 0xC0});
}

TEST_CASE("slip decode round-trips escapes at the first and last payload byte", "[esp][slip]") {
    for (const Bytes& payload : {Bytes{0xC0, 0x01, 0xC0}, Bytes{0xDB, 0x01, 0xDB}, Bytes{0xC0}, Bytes{0xDB},
                                 Bytes{0xDB, 0xDC}, Bytes{0xC0, 0xDB, 0xC0, 0xDB}}) {
        auto frames = decode_all(slip_encode(payload));
        REQUIRE(frames.size() == 1);
        CHECK(frames[0] == payload);
    }
}

TEST_CASE("slip decode handles a frame split at every byte boundary", "[esp][slip]") {
    const Bytes payload{0x01, 0x08, 0x04, 0x00, 0xC0, 0xDB, 0x00, 0x00, 0x00, 0x00, 0xDB, 0xC0};
    const Bytes wire = slip_encode(payload);
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        for (std::size_t cut2 = cut; cut2 <= wire.size(); ++cut2) {
            SlipDecoder d;
            d.feed(ByteView(wire).subspan(0, cut));
            d.feed(ByteView(wire).subspan(cut, cut2 - cut));
            d.feed(ByteView(wire).subspan(cut2));
            auto frames = drain(d);
            INFO("cuts at " << cut << " and " << cut2);
            REQUIRE(frames.size() == 1);
            CHECK(frames[0] == payload);
            CHECK(d.faults().empty());
            CHECK(d.noise().empty());
        }
    }
    // And one byte at a time.
    SlipDecoder d;
    for (std::uint8_t b : wire)
        d.feed(ByteView(&b, 1));
    auto frames = drain(d);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == payload);
}

TEST_CASE("slip decode keeps boot-log text before a frame as noise", "[esp][slip]") {
    const std::string log = "ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT)\r\n"
                            "waiting for download\r\n";
    Bytes wire(log.begin(), log.end());
    Bytes frame = slip_encode(Bytes{0x01, 0x08, 0x02, 0x00, 0, 0, 0, 0, 0, 0});
    wire.insert(wire.end(), frame.begin(), frame.end());

    SlipDecoder d;
    d.feed(ByteView(wire).subspan(0, 10)); // log arrives in pieces
    CHECK_FALSE(d.has_partial_frame());
    CHECK_FALSE(d.synced());
    d.feed(ByteView(wire).subspan(10));
    CHECK(d.synced());
    CHECK_FALSE(d.has_partial_frame());
    auto frames = drain(d);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == Bytes{0x01, 0x08, 0x02, 0x00, 0, 0, 0, 0, 0, 0});
    CHECK(std::string(d.noise().begin(), d.noise().end()) == log);
    Bytes taken = d.take_noise();
    CHECK(taken.size() == log.size());
    CHECK(d.noise().empty());
}

TEST_CASE("slip decode: two frames in one chunk, with and without a shared delimiter", "[esp][slip]") {
    // Separate delimiters: C0 a C0 C0 b C0 (the empty frame between them is ignored).
    Bytes wire = slip_encode(Bytes{0xAA});
    Bytes second = slip_encode(Bytes{0xBB, 0xC0});
    wire.insert(wire.end(), second.begin(), second.end());
    auto frames = decode_all(wire);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0] == Bytes{0xAA});
    CHECK(frames[1] == Bytes{0xBB, 0xC0});

    // Shared delimiter: C0 a C0 b C0.
    frames = decode_all(Bytes{0xC0, 0xAA, 0xC0, 0xBB, 0xC0});
    REQUIRE(frames.size() == 2);
    CHECK(frames[0] == Bytes{0xAA});
    CHECK(frames[1] == Bytes{0xBB});
}

TEST_CASE("slip decode ignores empty frames", "[esp][slip]") {
    SlipDecoder d;
    d.feed(Bytes{0xC0, 0xC0, 0xC0, 0xC0}); // e.g. the dummy bytes after CHANGE_BAUDRATE
    CHECK_FALSE(d.has_frame());
    d.feed(Bytes{0x01, 0xC0, 0xC0});
    auto frames = drain(d);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == Bytes{0x01});
    CHECK(d.faults().empty());
}

TEST_CASE("slip decode drops a frame with an invalid escape and reports it", "[esp][slip]") {
    SlipDecoder d;
    d.feed(Bytes{0xC0, 0x01, 0xDB, 0x42, 0x02, 0xC0, 0x03, 0xC0});
    auto frames = drain(d);
    REQUIRE(frames.size() == 1); // the bad frame is gone, the next one survives
    CHECK(frames[0] == Bytes{0x03});
    REQUIRE(d.faults().size() == 1);
    CHECK(d.faults()[0].kind == SlipFault::Kind::invalid_escape);
    CHECK(d.faults()[0].offset == 3);
    CHECK_THAT(d.faults()[0].message, Catch::Contains("0xDB 0x42"));

    // DB directly followed by C0: the C0 still ends the bad frame and opens the next.
    SlipDecoder d2;
    d2.feed(Bytes{0xC0, 0x01, 0xDB, 0xC0, 0x05, 0xC0});
    frames = drain(d2);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == Bytes{0x05});
    auto faults = d2.take_faults();
    REQUIRE(faults.size() == 1);
    CHECK(d2.faults().empty());
}

TEST_CASE("slip decode guards the frame size", "[esp][slip]") {
    SlipDecoder d(4);
    d.feed(Bytes{0xC0, 1, 2, 3, 4, 0xC0}); // exactly the limit is fine
    CHECK(drain(d).size() == 1);
    d.feed(Bytes{1, 2, 3, 4, 5, 6, 0xC0, 9, 0xC0});
    auto frames = drain(d);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == Bytes{9});
    REQUIRE(d.faults().size() == 1);
    CHECK(d.faults()[0].kind == SlipFault::Kind::oversized);
    CHECK(d.noise() == Bytes{1, 2, 3, 4, 5, 6}); // probably text; kept for triage

    // The limit also holds when the byte over it is an escape sequence.
    SlipDecoder e(2);
    e.feed(Bytes{0xC0, 1, 2, 0xDB, 0xDC, 0xC0, 0xDB, 0xDD, 0xC0});
    auto rest = drain(e);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0] == Bytes{0xDB});
    REQUIRE(e.faults().size() == 1);
    CHECK(e.faults()[0].kind == SlipFault::Kind::oversized);
}

TEST_CASE("slip decoder resync drops a partial frame", "[esp][slip]") {
    SlipDecoder d;
    d.feed(Bytes{0xC0, 0x01, 0x02});
    CHECK(d.has_partial_frame());
    d.resync();
    CHECK_FALSE(d.has_partial_frame());
    CHECK_FALSE(d.synced());
    d.feed(Bytes{'o', 'k', 0xC0, 0x07, 0xC0});
    auto frames = drain(d);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == Bytes{0x07});
    CHECK(d.noise() == Bytes{'o', 'k'});
    CHECK(d.bytes_fed() == 8);
}
