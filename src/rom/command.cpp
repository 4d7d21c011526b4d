#include "vesper/rom/command.hpp"

#include <initializer_list>

#include "vesper/core/error.hpp"

namespace vesper::esp {

namespace {

struct OpName {
    Command op;
    const char* name;
};

constexpr OpName kOpNames[] = {
    {Command::flash_begin, "FLASH_BEGIN"},
    {Command::flash_data, "FLASH_DATA"},
    {Command::flash_end, "FLASH_END"},
    {Command::mem_begin, "MEM_BEGIN"},
    {Command::mem_end, "MEM_END"},
    {Command::mem_data, "MEM_DATA"},
    {Command::sync, "SYNC"},
    {Command::write_reg, "WRITE_REG"},
    {Command::read_reg, "READ_REG"},
    {Command::spi_set_params, "SPI_SET_PARAMS"},
    {Command::spi_attach, "SPI_ATTACH"},
    {Command::read_flash_slow, "READ_FLASH_SLOW"},
    {Command::change_baudrate, "CHANGE_BAUDRATE"},
    {Command::flash_defl_begin, "FLASH_DEFL_BEGIN"},
    {Command::flash_defl_data, "FLASH_DEFL_DATA"},
    {Command::flash_defl_end, "FLASH_DEFL_END"},
    {Command::spi_flash_md5, "SPI_FLASH_MD5"},
    {Command::get_security_info, "GET_SECURITY_INFO"},
    {Command::erase_flash, "ERASE_FLASH"},
    {Command::erase_region, "ERASE_REGION"},
    {Command::read_flash, "READ_FLASH"},
    {Command::run_user_code, "RUN_USER_CODE"},
    {Command::flash_encrypt_data, "FLASH_ENCRYPT_DATA"},
};

Request words(Command op, std::initializer_list<std::uint32_t> values) {
    Request r{op, {}, 0};
    r.data.reserve(values.size() * 4);
    for (std::uint32_t v : values)
        append_le32(r.data, v);
    return r;
}

// Header (size, seq, 0, 0) + block; the checksum covers the block only.
Request data_request(Command op, ByteView block, std::uint32_t seq, std::uint32_t pad_to) {
    // The packet's u16 size field covers the 16-byte data header too.
    std::size_t total = pad_to > block.size() ? pad_to : block.size();
    if (total + 16 > 0xFFFF)
        fail(ErrorKind::input, command_name(op) + " block " + std::to_string(seq) + ": " + std::to_string(total) +
                                   " data bytes do not fit one packet (max " + std::to_string(0xFFFF - 16) + ")");
    if (pad_to != 0 && block.size() > pad_to)
        fail(ErrorKind::input, command_name(op) + " block " + std::to_string(seq) + ": " +
                                   std::to_string(block.size()) + " bytes exceed the block size " +
                                   std::to_string(pad_to));
    Request r = words(op, {static_cast<std::uint32_t>(total), seq, 0, 0});
    r.data.insert(r.data.end(), block.begin(), block.end());
    r.data.resize(16 + total, 0xFF); // 0xFF is what erased flash holds, so padding writes nothing new
    r.checksum = data_checksum(ByteView(r.data).subspan(16));
    return r;
}

Request begin_request(Command op, const BeginParams& p, EncryptedWord word5) {
    Request r = words(op, {p.size, p.blocks, p.block_size, p.offset});
    if (word5 != EncryptedWord::omit) append_le32(r.data, word5 == EncryptedWord::encrypted ? 1 : 0);
    return r;
}

[[noreturn]] void bad_arg(Command op, const std::string& why) { fail(ErrorKind::input, command_name(op) + ": " + why); }

} // namespace

std::string command_name(std::uint8_t op) {
    for (const auto& n : kOpNames)
        if (static_cast<std::uint8_t>(n.op) == op) return n.name;
    return hex_u(op, 2);
}

bool is_known_command(std::uint8_t op) noexcept {
    for (const auto& n : kOpNames)
        if (static_cast<std::uint8_t>(n.op) == op) return true;
    return false;
}

bool is_stub_only(Command op) noexcept { return static_cast<std::uint8_t>(op) >= 0xD0; }

bool uses_data_checksum(Command op) noexcept {
    return op == Command::mem_data || op == Command::flash_data || op == Command::flash_defl_data ||
           op == Command::flash_encrypt_data;
}

std::uint8_t data_checksum(ByteView data) noexcept {
    std::uint8_t c = 0xEF;
    for (std::uint8_t b : data)
        c ^= b;
    return c;
}

Request sync_request() {
    Request r{Command::sync, {0x07, 0x07, 0x12, 0x20}, 0};
    r.data.insert(r.data.end(), 32, 0x55);
    return r;
}

Request read_reg_request(std::uint32_t address) { return words(Command::read_reg, {address}); }

Request write_reg_request(std::uint32_t address, std::uint32_t value, std::uint32_t mask, std::uint32_t delay_us) {
    return words(Command::write_reg, {address, value, mask, delay_us});
}

Request flash_begin_request(const BeginParams& p, EncryptedWord word5) {
    return begin_request(Command::flash_begin, p, word5);
}

Request flash_defl_begin_request(const BeginParams& p, EncryptedWord word5) {
    return begin_request(Command::flash_defl_begin, p, word5);
}

Request mem_begin_request(const BeginParams& p) { return begin_request(Command::mem_begin, p, EncryptedWord::omit); }

std::uint32_t deflate_begin_size(std::uint32_t uncompressed, std::uint32_t block_size, bool stub) {
    if (stub) return uncompressed;
    if (block_size == 0) bad_arg(Command::flash_defl_begin, "block size must not be 0");
    std::uint64_t blocks = (static_cast<std::uint64_t>(uncompressed) + block_size - 1) / block_size;
    std::uint64_t rounded = blocks * block_size;
    if (rounded > 0xFFFFFFFFu) bad_arg(Command::flash_defl_begin, "size rounded to blocks overflows 32 bits");
    return static_cast<std::uint32_t>(rounded);
}

Request flash_data_request(ByteView block, std::uint32_t seq, std::uint32_t block_size) {
    return data_request(Command::flash_data, block, seq, block_size);
}

Request flash_defl_data_request(ByteView block, std::uint32_t seq) {
    return data_request(Command::flash_defl_data, block, seq, 0);
}

Request mem_data_request(ByteView block, std::uint32_t seq) { return data_request(Command::mem_data, block, seq, 0); }

Request flash_encrypt_data_request(ByteView block, std::uint32_t seq, std::uint32_t block_size) {
    return data_request(Command::flash_encrypt_data, block, seq, block_size);
}

Request flash_end_request(FlashEndAction action) {
    return words(Command::flash_end, {static_cast<std::uint32_t>(action)});
}

Request flash_defl_end_request(FlashEndAction action) {
    return words(Command::flash_defl_end, {static_cast<std::uint32_t>(action)});
}

Request mem_end_request(std::optional<std::uint32_t> entry) {
    return entry ? words(Command::mem_end, {0, *entry}) : words(Command::mem_end, {1, 0});
}

Request spi_attach_request(std::uint32_t config, LoaderKind to) {
    return to == LoaderKind::rom ? words(Command::spi_attach, {config, 0}) : words(Command::spi_attach, {config});
}

Request spi_set_params_request(const SpiFlashParams& p) {
    return words(Command::spi_set_params,
                 {p.id, p.total_size, p.block_size, p.sector_size, p.page_size, p.status_mask});
}

Request change_baudrate_request(std::uint32_t new_baud, std::uint32_t old_baud) {
    if (new_baud == 0) bad_arg(Command::change_baudrate, "new baud rate must not be 0");
    return words(Command::change_baudrate, {new_baud, old_baud});
}

Request spi_flash_md5_request(std::uint32_t address, std::uint32_t size) {
    return words(Command::spi_flash_md5, {address, size, 0, 0});
}

Request read_flash_slow_request(std::uint32_t address, std::uint32_t length) {
    if (length == 0 || length > kReadFlashSlowMax)
        bad_arg(Command::read_flash_slow, "length " + std::to_string(length) + " at " + hex32(address) +
                                              " is outside 1-" + std::to_string(kReadFlashSlowMax));
    return words(Command::read_flash_slow, {address, length});
}

Request get_security_info_request() { return {Command::get_security_info, {}, 0}; }

Request erase_flash_request() { return {Command::erase_flash, {}, 0}; }

Request erase_region_request(std::uint32_t offset, std::uint32_t size) {
    return words(Command::erase_region, {offset, size});
}

Request read_flash_request(std::uint32_t offset, std::uint32_t length, std::uint32_t packet_size,
                           std::uint32_t max_in_flight) {
    if (packet_size == 0 || max_in_flight == 0)
        bad_arg(Command::read_flash, "packet size and packets in flight must be at least 1");
    return words(Command::read_flash, {offset, length, packet_size, max_in_flight});
}

Request run_user_code_request() { return {Command::run_user_code, {}, 0}; }

SecurityInfo parse_security_info(ByteView data) {
    if (data.size() != 20 && data.size() != 12)
        fail(ErrorCode::esp_bad_reply, "GET_SECURITY_INFO reply has " + std::to_string(data.size()) +
                                           " data bytes; expected 20 (or 12 on ESP32-S2)");
    SecurityInfo s;
    s.flags = get_le32(data.data());
    s.flash_crypt_cnt = data[4];
    for (std::size_t i = 0; i < s.key_purposes.size(); ++i)
        s.key_purposes[i] = data[5 + i];
    if (data.size() == 20) {
        s.chip_id = get_le32(data.data() + 12);
        s.eco_version = get_le32(data.data() + 16);
    }
    return s;
}

std::array<std::uint8_t, 16> parse_md5_reply(ByteView data) {
    std::array<std::uint8_t, 16> md5{};
    if (data.size() == 16) {
        for (std::size_t i = 0; i < 16; ++i)
            md5[i] = data[i];
        return md5;
    }
    if (data.size() != 32)
        fail(ErrorCode::esp_bad_reply, "SPI_FLASH_MD5 reply has " + std::to_string(data.size()) +
                                           " data bytes; expected 16 raw (stub) or 32 hex digits (ROM)");
    auto nibble = [&](std::uint8_t c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < 16; ++i) {
        int hi = nibble(data[2 * i]), lo = nibble(data[2 * i + 1]);
        if (hi < 0 || lo < 0)
            fail(ErrorCode::esp_bad_reply, "SPI_FLASH_MD5 reply: byte " + std::to_string(2 * i) +
                                               " of the 32-digit hex digest is not a hex digit");
        md5[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return md5;
}

} // namespace vesper::esp
