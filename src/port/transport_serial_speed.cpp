// Linux termios2: arbitrary line speeds (BOTHER) and reading back the speed the driver holds. Kept
// apart from transport_serial.cpp because <asm/termbits.h> clashes with glibc's <termios.h>.
#include <asm/termbits.h>
#include <sys/ioctl.h>

#include "vesper/port/transport_serial.hpp"

namespace vesper::esp {

bool detail::set_tty_speed_bother(int fd, std::uint32_t baud) {
    termios2 t{};
    if (::ioctl(fd, TCGETS2, &t) != 0) return false;
    t.c_cflag &= ~(CBAUD | (CBAUD << IBSHIFT));
    t.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
    t.c_ospeed = baud;
    t.c_ispeed = baud;
    return ::ioctl(fd, TCSETS2, &t) == 0;
}

std::optional<std::uint32_t> tty_line_speed(int fd) {
    termios2 t{};
    if (::ioctl(fd, TCGETS2, &t) != 0) return std::nullopt;
    return t.c_ospeed;
}

} // namespace vesper::esp
