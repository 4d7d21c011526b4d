#include "vesper/station/board_link.hpp"

namespace vesper::station {

namespace {

// A board on a real port: the transport stays open for the whole pipeline; the loader lives as long as
// the board is in it.
class PortLink final : public BoardLink {
public:
    explicit PortLink(esp::ConnectedBoard board) : board_(std::move(board)), info_(board_.loader->info()) {}

    const esp::DeviceInfo& info() const override { return info_; }
    bool in_loader() const override { return board_.loader != nullptr; }

    esp::Loader& loader() override {
        if (!board_.loader)
            fail(ErrorCode::device_failed, board_.transport->name() +
                                               ": the board has left its ROM loader (reset into the app); a step "
                                               "that needs the loader must come before one that resets the board");
        return *board_.loader;
    }

    void leave_loader(esp::AfterFlash after) override {
        loader().leave(after);
        if (after != esp::AfterFlash::stay) board_.loader.reset();
    }

    esp::Transport& console(std::uint32_t baud) override {
        if (board_.loader) leave_loader(esp::AfterFlash::hard_reset);
        board_.transport->set_baud(baud);
        board_.transport->flush_input();
        return *board_.transport;
    }

private:
    esp::ConnectedBoard board_;
    esp::DeviceInfo info_; // kept: the loader goes, who the board is does not
};

} // namespace

std::unique_ptr<BoardLink> connect_port(const std::string& port, const esp::ConnectOptions& options) {
    std::unique_ptr<esp::Transport> transport;
    try {
        transport = esp::open_transport(port, esp::kRomBaud);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found || e.kind() == ErrorKind::input) throw;
        throw PortOpenError(e.code(), e.what());
    }
    return std::make_unique<PortLink>(esp::connect_board(std::move(transport), options));
}

} // namespace vesper::station
