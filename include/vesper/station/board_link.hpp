#pragma once
// The board on a port, as the steps of its pipeline share it. Connecting leaves the board in its ROM
// loader; the flash step uses the loader and leaves it with a hard reset into the app, after which the
// loader is gone; a test step asks for the app's serial console, which resets into the app first if
// the loader still holds the board. Which one the board is in is tracked here, not guessed by steps.
//
// How a link is made is injectable (Connector): the runner takes real ports through connect_port(), a
// unit test can hand it links to boards that exist only in the test.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "vesper/core/error.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/rom/loader.hpp"

namespace vesper::station {

class BoardLink {
public:
    virtual ~BoardLink() = default;
    // Who the board is, as its ROM loader said when connected: chip, MAC, flash.
    virtual const esp::DeviceInfo& info() const = 0;
    // Whether the ROM loader holds the board now (false once the app runs).
    virtual bool in_loader() const = 0;
    // The connected ROM loader. Error(device) when the board has left it.
    virtual esp::Loader& loader() = 0;
    // Ends the loader's work as `after` says; a hard reset leaves the app running and the loader gone.
    virtual void leave_loader(esp::AfterFlash after) = 0;
    // The app's serial console at `baud`, input flushed: resets into the app first when the loader
    // still holds the board.
    virtual esp::Transport& console(std::uint32_t baud) = 0;
};

// Thrown by a Connector when the port exists but will not open (a server refusing the connection, a
// device node the user may not open): a waiting port reports it rather than waiting in silence.
class PortOpenError : public Error {
public:
    using Error::Error;
};

// Opens `port` and connects to the board's ROM loader. Error(not_found) when the port is not there,
// PortOpenError when it will not open, other Errors when the board does not connect.
using Connector = std::function<std::unique_ptr<BoardLink>(const std::string& port, const esp::ConnectOptions&)>;

// The Connector for real ports (device paths, socket://, rfc2217://).
std::unique_ptr<BoardLink> connect_port(const std::string& port, const esp::ConnectOptions& options);

} // namespace vesper::station
