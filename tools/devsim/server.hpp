#pragma once
// The simulator's sockets: one listener per device (raw TCP or RFC 2217 over telnet), optionally a
// pseudo-terminal, one client per device at a time, and a single poll() loop that moves bytes between
// them and the devices, waking up for paced output and reset timing.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devsim/command_log.hpp"
#include "devsim/device.hpp"

namespace vesper::devsim {

enum class ListenKind { tcp, rfc2217 };

struct ListenSpec {
    ListenKind kind = ListenKind::tcp;
    std::uint16_t port = 0; // 0: the OS picks a free port (printed on the ready line)
};
// "tcp:4000", "rfc2217:4000", "tcp:0". Throws Error(input).
ListenSpec parse_listen(std::string_view text);
// "4MB", "512KB", "16M", "0x400000", "4194304". Throws Error(input) unless a positive multiple of 4 KiB.
std::uint32_t parse_flash_size(std::string_view text);
// The flash file of device `index` of `count`: FILE itself for one device, else "name-<index>.ext".
std::filesystem::path indexed_path(const std::filesystem::path& file, int index, int count);

struct ServerConfig {
    std::string bind = "127.0.0.1";
    std::optional<ListenSpec> listen; // first device's port; device i listens on port + i (0 stays 0)
    bool pty = false;
    bool quiet = false;
    std::optional<std::filesystem::path> log;
};

struct DeviceSetup {
    DeviceConfig config;
    std::optional<std::filesystem::path> flash_file; // none: in memory
    std::uint32_t flash_size = 0;
};

class Server {
public:
    Server(ServerConfig config, std::vector<DeviceSetup> devices);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds every listener and pty, then prints one ready line per device to stdout.
    void start();
    // Serves until SIGINT/SIGTERM (or stop_fd becomes readable). Returns the process exit code.
    int run();

    // Ports actually bound (after start), in device order.
    std::vector<std::uint16_t> ports() const;

private:
    struct Slot;
    void accept_client(Slot& slot);
    void drop_client(Slot& slot, const std::string& why);
    void read_client(Slot& slot);
    void read_pty(Slot& slot);
    void flush(Slot& slot);
    void send_pending(Slot& slot);
    void handle_rfc2217(Slot& slot, ByteView bytes);
    void note(const std::string& text) const;

    ServerConfig config_;
    std::vector<DeviceSetup> setups_;
    std::unique_ptr<CommandLog> log_;
    std::vector<std::unique_ptr<Slot>> slots_;
};

} // namespace vesper::devsim
