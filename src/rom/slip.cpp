#include "vesper/rom/slip.hpp"

namespace vesper::esp {

void slip_encode_append(ByteView packet, Bytes& out) {
    out.reserve(out.size() + packet.size() + packet.size() / 64 + 2);
    out.push_back(kSlipEnd);
    for (std::uint8_t b : packet) {
        if (b == kSlipEnd) {
            out.push_back(kSlipEsc);
            out.push_back(kSlipEscEnd);
        } else if (b == kSlipEsc) {
            out.push_back(kSlipEsc);
            out.push_back(kSlipEscEsc);
        } else {
            out.push_back(b);
        }
    }
    out.push_back(kSlipEnd);
}

Bytes slip_encode(ByteView packet) {
    Bytes out;
    slip_encode_append(packet, out);
    return out;
}

SlipDecoder::SlipDecoder(std::size_t max_frame) : max_frame_(max_frame == 0 ? kSlipDefaultMaxFrame : max_frame) {}

void SlipDecoder::feed(ByteView chunk) {
    for (std::uint8_t b : chunk) {
        switch (state_) {
        case State::hunting:
            if (b == kSlipEnd) {
                state_ = State::in_frame;
            } else {
                std::uint8_t one[1] = {b};
                add_noise(one);
            }
            break;
        case State::in_frame:
            if (b == kSlipEnd) {
                close_frame(); // this C0 also opens the next frame
            } else if (b == kSlipEsc) {
                state_ = State::escape;
            } else if (current_.size() >= max_frame_) {
                oversized();
                std::uint8_t one[1] = {b};
                add_noise(one);
            } else {
                current_.push_back(b);
            }
            break;
        case State::escape:
            if (b == kSlipEscEnd || b == kSlipEscEsc) {
                if (current_.size() >= max_frame_) {
                    oversized();
                } else {
                    current_.push_back(b == kSlipEscEnd ? kSlipEnd : kSlipEsc);
                    state_ = State::in_frame;
                }
            } else {
                fault(SlipFault::Kind::invalid_escape, "invalid SLIP escape 0xDB " + hex_u(b, 2) + " after " +
                                                           std::to_string(current_.size()) +
                                                           " frame bytes; frame dropped");
                current_.clear();
                // A C0 here still delimits: it ends the bad frame and opens the next one.
                state_ = b == kSlipEnd ? State::in_frame : State::discarding;
            }
            break;
        case State::discarding:
            if (b == kSlipEnd) state_ = State::in_frame;
            break;
        }
        ++offset_;
    }
}

void SlipDecoder::oversized() {
    fault(SlipFault::Kind::oversized, "frame longer than " + std::to_string(max_frame_) +
                                          " bytes without a closing 0xC0; dropped it and kept its bytes as noise");
    add_noise(current_); // most likely text (a boot log or a crash dump), worth showing
    current_.clear();
    state_ = State::hunting; // the next C0 starts a fresh frame
}

void SlipDecoder::close_frame() {
    // Empty frames carry nothing (two delimiters in a row, or dummy C0 bytes); skip them.
    if (!current_.empty()) frames_.push_back(std::move(current_));
    current_.clear();
    state_ = State::in_frame;
}

std::optional<Bytes> SlipDecoder::pop_frame() {
    if (frames_.empty()) return std::nullopt;
    Bytes f = std::move(frames_.front());
    frames_.pop_front();
    return f;
}

void SlipDecoder::add_noise(ByteView bytes) {
    noise_.insert(noise_.end(), bytes.begin(), bytes.end());
    if (noise_.size() > kMaxNoise) noise_.erase(noise_.begin(), noise_.end() - kMaxNoise);
}

Bytes SlipDecoder::take_noise() {
    Bytes n = std::move(noise_);
    noise_.clear();
    return n;
}

std::vector<SlipFault> SlipDecoder::take_faults() {
    std::vector<SlipFault> f = std::move(faults_);
    faults_.clear();
    return f;
}

void SlipDecoder::fault(SlipFault::Kind kind, const std::string& why) {
    faults_.push_back({kind, offset_, "SLIP framing error at stream byte " + std::to_string(offset_) + ": " + why});
}

void SlipDecoder::resync() {
    current_.clear();
    state_ = State::hunting;
}

} // namespace vesper::esp
