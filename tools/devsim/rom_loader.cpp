#include "devsim/rom_loader.hpp"

#include <algorithm>
#include <cstdio>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/rom_error.hpp"

namespace vesper::devsim {

using esp::Command;

namespace {

constexpr std::uint32_t kMaxRamBlock = esp::kRamBlock;

std::uint32_t word(const esp::Request& r, std::size_t i) { return get_le32(r.data.data() + 4 * i); }

std::string hex(std::uint32_t v) { return esp::hex32(v); }

bool is_sync_payload(const Bytes& d) {
    static const std::uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
    if (d.size() != 36 || !std::equal(head, head + 4, d.begin())) return false;
    return std::all_of(d.begin() + 4, d.end(), [](std::uint8_t b) { return b == 0x55; });
}

std::string to_lower_hex(const std::array<std::uint8_t, 16>& digest) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::uint8_t b : digest) {
        s.push_back(digits[b >> 4]);
        s.push_back(digits[b & 0xF]);
    }
    return s;
}

// The RTC slow clock (about 150 kHz) that counts the watchdog's timeout.
constexpr std::uint64_t kRtcSlowClockHz = 150000;

} // namespace

RomLoader::RomLoader(const esp::ChipInfo& chip, FlashStore& flash, RegisterFile& regs, const TimingModel& timing,
                     FaultState& faults)
    : chip_(chip), flash_(flash), regs_(regs), timing_(timing), faults_(faults) {}

void RomLoader::reset(std::uint32_t baud) {
    baud_ = baud;
    synced_ = false;
    value_ = 0;
    last_op_ = 0;
    last_repeat_ = 1;
    // The ESP8266 ROM has no SPI_ATTACH: its FLASH_BEGIN attaches the flash itself.
    attached_ = false;
    // Without SPI_SET_PARAMS the ESP8266 ROM has no size limit of its own.
    assumed_size_ = chip_.rom.spi_set_params ? kRomDefaultFlashSize : flash_.size();
    write_ = Write::none;
    next_seq_ = 0;
    mem_active_ = false;
    inflater_.reset();
    regs_.reset();
}

void RomLoader::host_baud(std::uint32_t baud) {
    if (!synced_ && baud != 0) baud_ = baud;
}

bool RomLoader::rom_has(std::uint8_t op) const {
    switch (static_cast<Command>(op)) {
    case Command::flash_begin:
    case Command::flash_data:
    case Command::flash_end:
    case Command::mem_begin:
    case Command::mem_end:
    case Command::mem_data:
    case Command::sync:
    case Command::write_reg:
    case Command::read_reg: return true;
    case Command::spi_set_params: return chip_.rom.spi_set_params;
    case Command::spi_attach: return chip_.rom.spi_attach;
    case Command::read_flash_slow: return chip_.rom.read_flash_slow;
    case Command::change_baudrate: return chip_.rom.change_baud;
    case Command::flash_defl_begin:
    case Command::flash_defl_data:
    case Command::flash_defl_end: return chip_.rom.deflate;
    case Command::spi_flash_md5: return chip_.rom.md5;
    case Command::get_security_info: return chip_.rom.security_info;
    default: return false; // stub-only and unknown opcodes
    }
}

RomReply RomLoader::ok(std::uint8_t op, ByteView data) {
    RomReply r;
    r.op = op;
    r.frames.push_back(esp::encode_response(op, value_, data, 0, 0, chip_.rom_status_len));
    r.result = "ok";
    last_op_ = op;
    last_repeat_ = 1;
    return r;
}

RomReply RomLoader::error(std::uint8_t op, std::uint8_t code, const std::string& why) {
    RomReply r;
    r.op = op;
    r.frames.push_back(esp::encode_response(op, value_, {}, 1, code, chip_.rom_status_len));
    r.error = code;
    r.result = esp::describe_error_code(code) + ": " + why;
    last_op_ = op;
    last_repeat_ = 1;
    return r;
}

RomReply RomLoader::unsupported(std::uint8_t op) {
    // The ROM does not fill in a reply for an opcode it does not know: what goes out is its previous
    // reply header with the failure status, as often as that reply was sent.
    RomReply r;
    r.op = op;
    for (int i = 0; i < last_repeat_; ++i)
        r.frames.push_back(esp::encode_response(last_op_, value_, {}, 1, kErrInvalidMessage, chip_.rom_status_len));
    r.error = kErrInvalidMessage;
    r.result = "unsupported by the " + std::string(chip_.display_name) + " ROM";
    return r;
}

RomReply RomLoader::handle_frame(ByteView frame) {
    esp::Request req;
    try {
        req = esp::decode_request(frame);
    } catch (const Error& e) {
        RomReply r;
        r.result = std::string("ignored: ") + e.what();
        return r;
    }
    const auto op = static_cast<std::uint8_t>(req.op);
    if (!rom_has(op)) return unsupported(op);
    switch (req.op) {
    case Command::sync: return sync(req);
    case Command::read_reg: return read_reg(req);
    case Command::write_reg: return write_reg(req);
    case Command::flash_begin: return flash_begin(req, Write::plain);
    case Command::flash_data: return flash_data(req);
    case Command::flash_end:
    case Command::flash_defl_end: return flash_end(req);
    case Command::flash_defl_begin: return flash_begin(req, Write::deflate);
    case Command::flash_defl_data: return flash_defl_data(req);
    case Command::mem_begin: return mem_begin(req);
    case Command::mem_data: return mem_data(req);
    case Command::mem_end: return mem_end(req);
    case Command::spi_set_params: return spi_set_params(req);
    case Command::spi_attach: return spi_attach(req);
    case Command::change_baudrate: return change_baudrate(req);
    case Command::spi_flash_md5: return spi_flash_md5(req);
    case Command::read_flash_slow: return read_flash_slow(req);
    case Command::get_security_info: return get_security_info(req);
    default: return unsupported(op);
    }
}

RomReply RomLoader::sync(const esp::Request& r) {
    if (!is_sync_payload(r.data)) {
        // Autobaud never locks on a wrong pattern, so the ROM stays silent.
        RomReply ignored;
        ignored.op = static_cast<std::uint8_t>(r.op);
        ignored.result = "ignored: SYNC payload is not 07 07 12 20 + 32 x 55";
        return ignored;
    }
    synced_ = true;
    value_ = kSyncReplyValue;
    RomReply reply = ok(static_cast<std::uint8_t>(r.op));
    const Bytes frame = reply.frames.front();
    for (int i = 1; i < esp::kRomSyncReplies; ++i)
        reply.frames.push_back(frame);
    last_repeat_ = esp::kRomSyncReplies;
    return reply;
}

RomReply RomLoader::read_reg(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 4) return error(op, kErrInvalidMessage, "READ_REG takes one 32-bit address");
    value_ = regs_.read(word(r, 0), baud_);
    return ok(op);
}

RomReply RomLoader::write_reg(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.empty() || r.data.size() % 16 != 0)
        return error(op, kErrInvalidMessage, "WRITE_REG takes groups of address, value, mask, delay");
    Duration delay{};
    for (std::size_t i = 0; i < r.data.size() / 16; ++i) {
        regs_.write(word(r, 4 * i), word(r, 4 * i + 1), word(r, 4 * i + 2));
        delay += std::chrono::microseconds(word(r, 4 * i + 3));
    }
    RomReply reply = ok(op);
    reply.busy = delay;
    if (const auto cycles = regs_.take_watchdog()) {
        // esptool's 2000 cycles are some 13 ms.
        reply.watchdog = std::chrono::microseconds(std::uint64_t{*cycles} * 1000000 / kRtcSlowClockHz);
        reply.result = "ok (RTC watchdog armed)";
    }
    return reply;
}

bool RomLoader::flash_ready(std::uint8_t op, RomReply& failure) {
    if (chip_.rom.spi_attach && !attached_) {
        failure = error(op, kErrFailedToAct, "SPI flash not attached (send SPI_ATTACH first)");
        return false;
    }
    return true;
}

std::uint32_t RomLoader::physical(std::uint64_t address) const {
    return static_cast<std::uint32_t>(address % chip_.max_rom_flash_address % flash_.size());
}

void RomLoader::erase_sectors(std::uint32_t first_sector, std::uint32_t count) {
    for (std::uint32_t i = 0; i < count; ++i)
        flash_.erase(physical(std::uint64_t{first_sector + i} * kSectorSize), kSectorSize);
}

bool RomLoader::program(std::uint64_t address, ByteView data) {
    bool exact = true;
    std::size_t done = 0;
    while (done < data.size()) {
        const std::uint32_t at = physical(address + done);
        const std::size_t n = std::min<std::size_t>(data.size() - done, flash_.size() - at);
        exact = flash_.program(at, data.subspan(done, n)) && exact;
        done += n;
    }
    return exact;
}

Bytes RomLoader::read(std::uint64_t address, std::uint32_t length) const {
    Bytes out;
    out.reserve(length);
    std::uint32_t done = 0;
    while (done < length) {
        const std::uint32_t at = physical(address + done);
        const std::uint32_t n = std::min(length - done, flash_.size() - at);
        const ByteView v = flash_.read(at, n);
        out.insert(out.end(), v.begin(), v.end());
        done += n;
    }
    return out;
}

RomReply RomLoader::flash_begin(const esp::Request& r, Write kind) {
    const auto op = static_cast<std::uint8_t>(r.op);
    const std::size_t n = r.data.size();
    // The 5th word (encrypted) exists only on ROMs whose row says so; those also take the 4-word form.
    if (n != 16 && !(n == 20 && chip_.flash_begin_encrypted_word))
        return error(op, kErrInvalidMessage,
                     std::to_string(n) + "-byte " + esp::command_name(op) + " (the " + std::string(chip_.display_name) +
                         " ROM takes " + (chip_.flash_begin_encrypted_word ? "16 or 20" : "16") + " bytes)");
    const std::uint32_t size = word(r, 0), blocks = word(r, 1), block_size = word(r, 2), offset = word(r, 3);
    if (n == 20 && word(r, 4) != 0)
        return error(op, kErrFailedToAct, "encrypted writes through the ROM are not simulated");
    RomReply failure;
    if (chip_.rom.spi_attach) {
        if (!flash_ready(op, failure)) return failure;
    } else {
        attached_ = true; // ESP8266: FLASH_BEGIN enables the flash
    }
    if (block_size == 0 || block_size > esp::kRomFlashBlock)
        return error(op, kErrInvalidMessage,
                     "block size " + std::to_string(block_size) + " (the ROM takes up to " +
                         std::to_string(esp::kRomFlashBlock) + " bytes per block)");

    // The ROM erases whole sectors from the one holding `offset`, `size` bytes' worth of them.
    const std::uint32_t first = offset / kSectorSize;
    std::uint32_t sectors = (size + kSectorSize - 1) / kSectorSize;
    if (chip_.rom.erase_size_bug) {
        // ESP8266 ROM bug: it erases the head of the range (up to the next 64 KiB boundary) on top of
        // the sectors asked for. esp::rom_erase_size is the host-side workaround (its inverse).
        const std::uint32_t head = std::min(16 - first % 16, sectors);
        sectors += head;
    }
    const std::uint64_t erase_end = std::uint64_t{first} * kSectorSize + std::uint64_t{sectors} * kSectorSize;
    const std::uint64_t data_end = std::uint64_t{offset} + std::uint64_t{blocks} * block_size;
    if (std::max<std::uint64_t>(erase_end, kind == Write::plain ? data_end : 0) > assumed_size_ && sectors != 0)
        return error(op, kErrFailedToAct,
                     "range " + hex(offset) + "+" + hex(size) + " is beyond the " +
                         std::to_string(assumed_size_ >> 20) +
                         " MB the ROM assumes (send SPI_SET_PARAMS with the flash size)");

    erase_sectors(first, sectors);
    write_ = kind;
    write_offset_ = offset;
    block_count_ = blocks;
    block_size_ = block_size;
    next_seq_ = 0;
    defl_pos_ = offset;
    if (kind == Write::deflate) inflater_.reset();

    RomReply reply = ok(op);
    reply.busy = timing_.erase(first * kSectorSize, sectors * kSectorSize);
    char buf[96];
    std::snprintf(buf, sizeof buf, "ok (erased %u sectors at 0x%X)", sectors, first * kSectorSize);
    reply.result = buf;
    return reply;
}

std::optional<ByteView> RomLoader::data_block(const esp::Request& r, RomReply& failure) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() < 16) {
        failure = error(op, kErrInvalidMessage, "data header shorter than 16 bytes");
        return std::nullopt;
    }
    const std::uint32_t size = word(r, 0);
    const ByteView block = ByteView(r.data).subspan(16);
    if (size != block.size()) {
        failure = error(op, kErrInvalidMessage,
                        "size word " + std::to_string(size) + " but " + std::to_string(block.size()) + " data bytes");
        return std::nullopt;
    }
    if (r.checksum != esp::data_checksum(block)) {
        failure = error(op, kErrBadChecksum, "data checksum mismatch");
        return std::nullopt;
    }
    return block;
}

bool RomLoader::write_block(std::uint8_t op, std::uint64_t address, ByteView data, RomReply& failure, Duration& busy) {
    if (faults_.fail_flash_write(static_cast<std::uint32_t>(address), data.size())) {
        failure =
            error(op, kErrFlashWrite, "injected flash write failure at " + hex(static_cast<std::uint32_t>(address)));
        return false;
    }
    if (address + data.size() > assumed_size_) {
        failure =
            error(op, kErrFailedToAct,
                  "write at " + hex(static_cast<std::uint32_t>(address)) + " is beyond the flash size the ROM assumes");
        return false;
    }
    busy += timing_.program(static_cast<std::uint32_t>(address), data.size());
    if (!program(address, data)) {
        failure = error(op, kErrFlashWrite,
                        "read-back differs at " + hex(static_cast<std::uint32_t>(address)) + " (range not erased)");
        return false;
    }
    return true;
}

RomReply RomLoader::flash_data(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    RomReply failure;
    auto block = data_block(r, failure);
    if (!block) return failure;
    if (write_ != Write::plain) return error(op, kErrFailedToAct, "FLASH_DATA without FLASH_BEGIN");
    const std::uint32_t seq = word(r, 1);
    // A block sent again (the host retried after a lost reply) lands where it did before.
    if (seq != next_seq_ && seq + 1 != next_seq_)
        return error(op, kErrFailedToAct,
                     "sequence " + std::to_string(seq) + ", expected " + std::to_string(next_seq_));
    if (seq >= block_count_)
        return error(op, kErrFailedToAct,
                     "block " + std::to_string(seq) + " beyond the " + std::to_string(block_count_) + " announced");
    if (block->size() > block_size_)
        return error(op, kErrInvalidMessage,
                     std::to_string(block->size()) + " bytes in a " + std::to_string(block_size_) + "-byte block");
    Duration busy{};
    const std::uint64_t address = std::uint64_t{write_offset_} + std::uint64_t{seq} * block_size_;
    if (!write_block(op, address, *block, failure, busy)) return failure;
    if (seq == next_seq_) ++next_seq_;
    RomReply reply = ok(op);
    reply.busy = busy;
    return reply;
}

RomReply RomLoader::flash_defl_data(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    RomReply failure;
    auto block = data_block(r, failure);
    if (!block) return failure;
    if (write_ != Write::deflate) return error(op, kErrFailedToAct, "FLASH_DEFL_DATA without FLASH_DEFL_BEGIN");
    const std::uint32_t seq = word(r, 1);
    if (seq + 1 == next_seq_) {
        RomReply reply = ok(op); // already inflated: feeding it twice would corrupt the stream
        reply.result = "ok (repeated block " + std::to_string(seq) + " skipped)";
        return reply;
    }
    if (seq != next_seq_)
        return error(op, kErrFailedToAct,
                     "sequence " + std::to_string(seq) + ", expected " + std::to_string(next_seq_));
    if (block->size() > block_size_)
        return error(op, kErrInvalidMessage,
                     std::to_string(block->size()) + " bytes in a " + std::to_string(block_size_) + "-byte block");
    Bytes out;
    const auto status = inflater_.feed(*block, out);
    if (status == Inflater::Status::data_error)
        return error(op, kErrDeflate,
                     "bad compressed data in block " + std::to_string(seq) + ": " + inflater_.message());
    if (status == Inflater::Status::adler_error)
        return error(op, kErrDeflateAdler, "Adler-32 mismatch at the end of the stream");
    Duration busy{};
    if (!out.empty() && !write_block(op, defl_pos_, out, failure, busy)) return failure;
    if (out.empty() && faults_.fail_flash_write(static_cast<std::uint32_t>(defl_pos_), 0))
        return error(op, kErrFlashWrite, "injected flash write failure");
    defl_pos_ += out.size();
    ++next_seq_;
    RomReply reply = ok(op);
    reply.busy = busy;
    return reply;
}

RomReply RomLoader::flash_end(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 4) return error(op, kErrInvalidMessage, "FLASH_END takes one word");
    const std::uint32_t run_user_code = word(r, 0);
    write_ = Write::none;
    RomReply reply = ok(op);
    reply.after = run_user_code != 0 ? AfterReply::run_app : AfterReply::reboot;
    reply.result = run_user_code != 0 ? "ok (leaving the loader: run user code)" : "ok (leaving the loader: reboot)";
    return reply;
}

RomReply RomLoader::mem_begin(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 16) return error(op, kErrInvalidMessage, "MEM_BEGIN takes four words");
    const std::uint32_t blocks = word(r, 1), block_size = word(r, 2);
    if (block_size == 0 || block_size > kMaxRamBlock)
        return error(op, kErrInvalidMessage, "RAM block size " + std::to_string(block_size));
    mem_active_ = true;
    mem_blocks_ = blocks;
    mem_block_size_ = block_size;
    mem_next_seq_ = 0;
    return ok(op);
}

RomReply RomLoader::mem_data(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    RomReply failure;
    auto block = data_block(r, failure);
    if (!block) return failure;
    if (!mem_active_) return error(op, kErrFailedToAct, "MEM_DATA without MEM_BEGIN");
    const std::uint32_t seq = word(r, 1);
    if (seq != mem_next_seq_ && seq + 1 != mem_next_seq_)
        return error(op, kErrFailedToAct,
                     "sequence " + std::to_string(seq) + ", expected " + std::to_string(mem_next_seq_));
    if (seq >= mem_blocks_ || block->size() > mem_block_size_)
        return error(op, kErrInvalidMessage, "RAM block " + std::to_string(seq) + " out of range");
    if (seq == mem_next_seq_) ++mem_next_seq_;
    return ok(op); // RAM contents are not kept: nothing in the simulator can execute them
}

RomReply RomLoader::mem_end(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 8) return error(op, kErrInvalidMessage, "MEM_END takes two words");
    mem_active_ = false;
    RomReply reply = ok(op);
    if (word(r, 0) == 0) {
        reply.after = AfterReply::run_ram;
        reply.result = "ok (jumping to RAM code at " + hex(word(r, 1)) + ", which the simulator cannot run)";
    }
    return reply;
}

RomReply RomLoader::spi_set_params(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 24) return error(op, kErrInvalidMessage, "SPI_SET_PARAMS takes six words");
    const std::uint32_t total = word(r, 1);
    if (total == 0) return error(op, kErrInvalidMessage, "flash size 0");
    assumed_size_ = total;
    RomReply reply = ok(op);
    reply.result = "ok (flash size " + std::to_string(total) + ")";
    return reply;
}

RomReply RomLoader::spi_attach(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    // The ROM form has a second word (esptool sends 8 bytes); esptool-js sends only the first.
    if (r.data.size() != 8 && r.data.size() != 4) return error(op, kErrInvalidMessage, "SPI_ATTACH takes 8 bytes");
    attached_ = true;
    return ok(op);
}

RomReply RomLoader::change_baudrate(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 8) return error(op, kErrInvalidMessage, "CHANGE_BAUDRATE takes two words");
    std::uint64_t baud = word(r, 0);
    if (baud == 0) return error(op, kErrInvalidMessage, "baud rate 0");
    // A ROM that assumes another crystal than the one fitted runs its UART off by that ratio; the
    // host's correction (esp::rom_baud_word) undoes it.
    if (chip_.baud.rule == esp::BaudRule::xtal_mismatch && chip_.baud.rom_xtal_mhz != 0)
        baud = baud * chip_.xtal.mhz / chip_.baud.rom_xtal_mhz;
    RomReply reply = ok(op);
    reply.switch_baud = static_cast<std::uint32_t>(baud);
    reply.result = "ok (UART to " + std::to_string(baud) + " baud after this reply)";
    return reply;
}

RomReply RomLoader::spi_flash_md5(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 16) return error(op, kErrInvalidMessage, "SPI_FLASH_MD5 takes four words");
    RomReply failure;
    if (!flash_ready(op, failure)) return failure;
    const std::uint32_t address = word(r, 0), size = word(r, 1);
    if (std::uint64_t{address} + size > assumed_size_)
        return error(op, kErrFlashRead, "range " + hex(address) + "+" + hex(size) + " beyond the assumed flash size");
    const Bytes data = read(address, size);
    const std::string text = to_lower_hex(md5(data));
    RomReply reply = ok(op, as_bytes(text)); // the ROM answers with 32 hex digits, not 16 raw bytes
    reply.busy = timing_.md5(size);
    return reply;
}

RomReply RomLoader::read_flash_slow(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (r.data.size() != 8) return error(op, kErrInvalidMessage, "READ_FLASH_SLOW takes two words");
    RomReply failure;
    if (!flash_ready(op, failure)) return failure;
    const std::uint32_t address = word(r, 0), length = word(r, 1);
    if (length > esp::kReadFlashSlowMax)
        return error(op, kErrReadLength, std::to_string(length) + " bytes asked, the ROM reads at most 64");
    if (std::uint64_t{address} + length > assumed_size_)
        return error(op, kErrFlashRead, "range beyond the assumed flash size");
    // The reply always carries the ROM's 64-byte buffer; only `length` bytes of it were read.
    Bytes data = read(address, length);
    data.resize(esp::kReadFlashSlowMax, 0);
    return ok(op, data);
}

RomReply RomLoader::get_security_info(const esp::Request& r) {
    const auto op = static_cast<std::uint8_t>(r.op);
    if (!r.data.empty()) return error(op, kErrInvalidMessage, "GET_SECURITY_INFO takes no data");
    // flags, flash_crypt_cnt, 7 key purposes: all clear (no secure boot, no encryption).
    Bytes data(12, 0);
    if (chip_.chip_id) {
        append_le32(data, *chip_.chip_id);
        append_le32(data, 0); // eco / API version
    }
    return ok(op, data);
}

} // namespace vesper::devsim
