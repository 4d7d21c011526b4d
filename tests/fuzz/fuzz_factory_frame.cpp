// A line received from a board's console (vesperctl test, the station's test step): any bytes the
// UART delivers. decode_line never throws; a frame it accepts encodes back to a line that decodes to
// the same id, word and body (what the host sends and what it reads agree).
#include <cstdlib>

#include "fuzz_support.hpp"
#include "vesper/factory/frame.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_factory_frame)(const std::uint8_t* data, std::size_t size) {
    const factory::Decoded d = factory::decode_line(fuzz::text(data, size));
    if (!d.frame) return 0;
    if (d.reason != factory::Ignored::none) std::abort();
    const factory::Frame& f = *d.frame;
    if (!d.frame->body.is_object()) std::abort();
    std::string line = factory::encode_line(f.id, f.word, f.body);
    line.pop_back(); // "\n"
    const factory::Decoded again = factory::decode_line(line);
    if (!again.frame || again.frame->id != f.id || again.frame->word != f.word || again.frame->body != f.body)
        std::abort();
    return 0;
}
