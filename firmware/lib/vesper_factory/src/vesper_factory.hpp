#pragma once
// The companion firmware's factory console (docs/firmware.md, docs/factory-protocol.md): include this
// one header. A product implements vesper_factory::Hal for its board, keeps one static Console, calls
// begin() in setup() and feed()/poll() in its loop.
#include "console.hpp"
#include "crc32.hpp"
#include "dispatcher.hpp"
#include "frame.hpp"
#include "hal.hpp"
#include "json_reader.hpp"
#include "json_writer.hpp"
