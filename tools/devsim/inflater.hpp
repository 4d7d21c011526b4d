#pragma once
// Streaming zlib inflate for FLASH_DEFL_DATA: compressed blocks arrive one by one and each yields
// however many bytes it completes, as the ROM's inflater does with its 32 KiB window.
#include <memory>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper::devsim {

class Inflater {
public:
    Inflater();
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    enum class Status {
        more,        // consumed, the stream goes on
        finished,    // the zlib stream ended (Adler-32 checked)
        data_error,  // corrupt compressed data
        adler_error, // the data decoded but its Adler-32 trailer does not match
    };
    // Appends the decompressed bytes of `chunk` to `out`. After finished or an error, call reset().
    Status feed(ByteView chunk, Bytes& out);
    void reset();
    bool finished() const noexcept { return finished_; }
    const std::string& message() const noexcept { return message_; }

private:
    struct State;
    std::unique_ptr<State> s_;
    bool finished_ = false;
    std::string message_;
};

} // namespace vesper::devsim
