// The YAML tree, built from parser events under limits (see tree.hpp).
#include "vesper/yaml/tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

namespace vesper::yaml {

namespace {

int line_of(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 1; }

// What the parser could not get past, for the message: the character, or its byte value.
std::string shown_at(std::string_view text, int pos) {
    if (pos < 0 || static_cast<std::size_t>(pos) >= text.size()) return "the end of the file";
    const auto c = static_cast<unsigned char>(text[static_cast<std::size_t>(pos)]);
    char buf[16];
    if (c > 0x20 && c < 0x7f)
        std::snprintf(buf, sizeof buf, "'%c'", c);
    else
        std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
}

// yaml-cpp's message with control characters as \xNN: some messages end in the character the parser
// stopped at ("unknown escape character: " and a line break), and an error is one line.
std::string one_line(const std::string& msg) {
    std::string out;
    for (char ch : msg) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out += ch;
            continue;
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
    }
    return out;
}

// Builds the first document's tree; later documents are only counted (and their starts noted).
class TreeBuilder final : public YAML::EventHandler {
public:
    TreeBuilder(const std::string& file, const Limits& limits) : file_(file), limits_(limits) {}

    struct DocStart {
        int pos = 0;       // where the parser stood when the document began
        int line = 1;      // that line
        int root_line = 1; // where its content begins (after any `---`)
    };
    std::vector<DocStart> starts; // one per document seen
    Node root;

    void OnDocumentStart(const YAML::Mark& mark) override {
        starts.push_back({mark.pos, line_of(mark), line_of(mark)});
        stack_.clear();
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, Kind::null, {}); }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        // yaml-cpp tags a quoted scalar "!" and a plain one "?".
        leaf(mark, anchor, Kind::scalar, value, tag == "!");
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        auto it = anchors_.find(anchor);
        // yaml-cpp refuses unknown anchor names itself; an anchor still open is one the alias is inside.
        if (it == anchors_.end())
            fail_located(file_, line_of(mark), "", "invalid YAML: an alias refers to a node that contains it");
        count(mark, it->second.cost);
        add(Node(it->second.node));
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor, Kind::sequence);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor, Kind::map);
    }
    void OnMapEnd() override { close(); }

private:
    // What a tree holds: nodes and the bytes of their text.
    struct Cost {
        std::size_t nodes = 0;
        std::size_t bytes = 0;
        Cost operator-(const Cost& o) const { return {nodes - o.nodes, bytes - o.bytes}; }
    };
    struct Open {
        Node node;
        std::optional<Node> key; // a map's key waiting for its value
        YAML::anchor_t anchor = 0;
        Cost before; // the total when it opened
    };
    struct Anchored {
        Node node;
        Cost cost; // what each alias to it adds
    };

    void count(const YAML::Mark& mark, const Cost& c) {
        // An alias is a copy, so a few nested aliases could make a small file huge: copies count in full.
        if (total_.nodes + c.nodes > limits_.max_nodes || total_.bytes + c.bytes > 4 * limits_.max_bytes)
            fail_located(file_, line_of(mark), "",
                         "more than " + std::to_string(limits_.max_nodes) + " YAML nodes or " +
                             std::to_string(4 * limits_.max_bytes) +
                             " bytes of text (aliases count each time they are used); a config is far smaller");
        total_.nodes += c.nodes;
        total_.bytes += c.bytes;
    }

    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, Kind kind, const std::string& value, bool quoted = false) {
        const Cost cost{1, value.size()};
        count(mark, cost);
        Node n;
        n.kind = kind;
        n.scalar = value;
        n.quoted = quoted;
        n.line = line_of(mark);
        if (anchor != 0) anchors_[anchor] = Anchored{n, cost};
        add(std::move(n));
    }

    void open(const YAML::Mark& mark, YAML::anchor_t anchor, Kind kind) {
        if (stack_.size() >= limits_.max_depth)
            fail_located(file_, line_of(mark), "",
                         "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        Open o;
        o.before = total_;
        count(mark, {1, 0});
        o.node.kind = kind;
        o.node.line = line_of(mark);
        o.anchor = anchor;
        stack_.push_back(std::move(o));
    }

    void close() {
        Open o = std::move(stack_.back());
        stack_.pop_back();
        if (o.anchor != 0) anchors_[o.anchor] = Anchored{o.node, total_ - o.before};
        add(std::move(o.node));
    }

    void add(Node n) {
        if (stack_.empty()) {
            if (!starts.empty()) starts.back().root_line = n.line;
            if (starts.size() == 1) root = std::move(n);
            return;
        }
        Open& top = stack_.back();
        if (top.node.kind == Kind::sequence) {
            top.node.items.push_back(std::move(n));
        } else if (!top.key) {
            top.key = std::move(n);
        } else {
            top.node.entries.push_back(MapEntry{std::move(*top.key), std::move(n)});
            top.key.reset();
        }
    }

    const std::string& file_;
    const Limits& limits_;
    std::vector<Open> stack_;
    std::map<YAML::anchor_t, Anchored> anchors_;
    Cost total_;
};

} // namespace

void fail_located(const std::string& file, int line, const std::string& field, const std::string& reason,
                  ErrorCode code) {
    std::string msg = file + ":" + std::to_string(line) + ": ";
    if (!field.empty()) msg += field + ": ";
    throw LocatedError(code, msg + reason);
}

Node parse(std::string_view text, const std::string& file, const Limits& limits) {
    if (text.size() > limits.max_bytes)
        fail(ErrorCode::config_invalid, file + ": more than " + std::to_string(limits.max_bytes) +
                                            " bytes; a config file may be at most that (they are a few KB)");
    std::istringstream in{std::string(text)};
    TreeBuilder builder(file, limits);
    try {
        YAML::Parser parser(in);
        // A second document is an error; a third is asked for only to tell a real second document
        // from a parser that is stuck (a document starting where the previous one started has consumed
        // nothing, and every further one would be the same).
        while (builder.starts.size() < 3 && parser.HandleNextDocument(builder)) {
            const auto& s = builder.starts;
            if (s.size() >= 2 && s[s.size() - 1].pos == s[s.size() - 2].pos)
                fail_located(file, s.back().line, "", "invalid YAML: unexpected " + shown_at(text, s.back().pos));
        }
    } catch (const YAML::Exception& e) {
        fail_located(file, line_of(e.mark), "", "invalid YAML: " + one_line(e.msg));
    }
    if (builder.starts.size() > 1)
        fail_located(file, builder.starts[1].root_line, "", "more than one YAML document; a config is one document");
    return std::move(builder.root);
}

} // namespace vesper::yaml
