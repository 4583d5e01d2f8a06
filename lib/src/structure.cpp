// The structure matcher: a shortest-path search over readings of a segment sequence, with the moves
// from each matcher state worked out once (see hl7/structure.hpp for what it promises).
//
// A matcher state is a stack of frames, one per open group instance (the message itself at the
// bottom): which child of the group comes next, how many occurrences of it have begun, and whether
// the instance has a segment yet. Between two segments the state moves without reading (enter a
// group, advance to the next child, leave a finished group); advancing past a required child that
// has too few occurrences costs one repair ("missing"). Reading a segment costs nothing when the
// state can take it; setting it aside costs one repair. Each state-to-state step reads exactly one
// segment, so the search runs over (position, state) pairs; the silent moves before reading segment
// ID X from state S are the same wherever S and X meet, and are computed once per (S, X).
#include "hl7/structure.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>

namespace hl7 {

namespace {

constexpr std::uint32_t kNone = GroupInstance::none;


// A node of the structure, flattened: the children of a node are contiguous.
struct Node {
    const defs::StructureNode* def = nullptr;  // null for the message (the root)
    std::uint32_t first_child = 0;
    std::uint32_t child_count = 0;
    std::uint32_t min = 1;
    std::uint32_t max = 1;  // 0 = unbounded
    // Occurrence counts are kept up to here: beyond it, nothing depends on the exact number.
    std::uint32_t cap = 1;
    std::uint32_t symbol = 0;  // segments: the ID's symbol
    std::uint32_t set = 0;     // groups: offset of the set of symbols anywhere inside (bit words)
    bool group = false;
    bool choice = false;
};

// One frame of a matcher state, packed: node (24 bits), next child (16), occurrences begun (23),
// and whether the instance has a segment yet (top bit).
using Frame = std::uint64_t;
constexpr std::uint32_t frame_node(Frame f) { return static_cast<std::uint32_t>(f & 0xFFFFFF); }
constexpr std::uint32_t frame_child(Frame f) { return static_cast<std::uint32_t>((f >> 24) & 0xFFFF); }
constexpr std::uint32_t frame_count(Frame f) { return static_cast<std::uint32_t>((f >> 40) & 0x7FFFFF); }
constexpr bool frame_nonempty(Frame f) { return (f >> 63) != 0; }
constexpr Frame make_frame(std::uint32_t node, std::uint32_t child, std::uint32_t count, bool nonempty) {
    return Frame{node} | (Frame{child} << 24) | (Frame{count} << 40) | (Frame{nonempty} << 63);
}

enum class EventKind : std::uint8_t { enter, advance, missing, leave, read };

// What a silent move or a read did, replayed once the best reading is known.
struct Event {
    EventKind kind = EventKind::read;
    std::uint32_t node = 0;
    std::uint32_t count = 0;  // missing: the occurrences there were
};

// The result of the silent moves from a state up to reading one segment ID (or to the end).
struct Transition {
    std::uint32_t target = 0;  // the state after reading
    std::uint32_t cost = 0;    // repairs (missing nodes) on the way
    std::uint32_t events_begin = 0;
    std::uint32_t events_end = 0;
};

constexpr std::uint32_t kSkip = 0xFFFFFFFFu;  // a search step that set its segment aside

}  // namespace

struct StructureMatcher::Impl {
    const defs::MessageDef* def = nullptr;
    std::vector<Node> nodes;
    std::vector<std::string_view> symbols;  // segment IDs of the structure, sorted
    std::vector<std::pair<std::uint32_t, std::uint32_t>> packed_symbols;  // (packed ID, symbol), sorted
    std::uint32_t end_symbol = 0;           // the end of the message, as a pseudo-ID
    std::size_t set_words = 0;
    std::vector<std::uint64_t> sets;

    // States, interned: frames stored back to back; a state is (offset, depth).
    std::vector<Frame> frames;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> states;
    // Open addressing over the arena: state + 1 per slot, 0 for an empty slot; a power of two long.
    std::vector<std::uint32_t> state_table = std::vector<std::uint32_t>(64, 0);
    std::uint32_t start = 0;

    // (state, symbol) -> transitions [first, first + count), at state * (end_symbol + 1) + symbol;
    // kUnknown until worked out.
    static constexpr std::pair<std::uint32_t, std::uint32_t> kUnknown{0, 0xFFFFFFFFu};
    std::vector<std::pair<std::uint32_t, std::uint32_t>> memo;
    std::vector<Transition> transitions;
    std::vector<Event> events;

    explicit Impl(const defs::MessageDef& structure) : def(&structure) {
        Node root;
        root.group = true;
        nodes.push_back(root);
        add_children(0, structure.nodes);
        for (const Node& n : nodes)
            if (!n.group) symbols.push_back(n.def->name);
        std::sort(symbols.begin(), symbols.end());
        symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
        end_symbol = static_cast<std::uint32_t>(symbols.size());
        for (std::uint32_t k = 0; k < end_symbol; ++k)
            if (symbols[k].size() == 3) packed_symbols.emplace_back(packed(symbols[k]), k);
        std::sort(packed_symbols.begin(), packed_symbols.end());
        set_words = (symbols.size() + 63) / 64;
        for (Node& n : nodes) {
            if (n.group) {
                n.set = static_cast<std::uint32_t>(sets.size());
                sets.resize(sets.size() + set_words, 0);
            } else {
                n.symbol = *symbol_of(n.def->name);
            }
        }
        // Children come after their parents: one backward pass collects the sets.
        for (std::size_t i = nodes.size(); i-- > 0;) {
            const Node& n = nodes[i];
            if (!n.group) continue;
            for (std::uint32_t c = n.first_child; c < n.first_child + n.child_count; ++c) {
                const Node& child = nodes[c];
                if (child.group) {
                    for (std::size_t w = 0; w < set_words; ++w) sets[n.set + w] |= sets[child.set + w];
                } else {
                    sets[n.set + child.symbol / 64] |= std::uint64_t{1} << (child.symbol % 64);
                }
            }
        }
        start = intern(std::vector<Frame>{make_frame(0, 0, 0, false)});
    }

    void add_children(std::uint32_t parent, std::span<const defs::StructureNode> children) {
        auto first = static_cast<std::uint32_t>(nodes.size());
        nodes[parent].first_child = first;
        nodes[parent].child_count = static_cast<std::uint32_t>(children.size());
        for (const auto& c : children) {
            Node n;
            n.def = &c;
            n.min = c.min;
            n.max = c.max;
            n.cap = c.max == 0 ? c.min : c.max;
            n.group = c.is_group();
            n.choice = c.choice && n.group;
            nodes.push_back(n);
        }
        for (std::size_t k = 0; k < children.size(); ++k)
            if (children[k].is_group()) add_children(first + static_cast<std::uint32_t>(k), children[k].children);
    }

    std::optional<std::uint32_t> symbol_of(std::string_view id) const {
        auto it = std::lower_bound(symbols.begin(), symbols.end(), id);
        if (it == symbols.end() || *it != id) return std::nullopt;
        return static_cast<std::uint32_t>(it - symbols.begin());
    }

    // The same for a segment ID from a message, by its three bytes as a number (IDs of other
    // lengths are not well formed, and never match).
    static std::uint32_t packed(std::string_view id) {
        return (std::uint32_t{static_cast<unsigned char>(id[0])} << 16) |
               (std::uint32_t{static_cast<unsigned char>(id[1])} << 8) | static_cast<unsigned char>(id[2]);
    }
    std::optional<std::uint32_t> symbol_of_id(std::string_view id) const {
        if (id.size() != 3) return std::nullopt;
        auto it = std::lower_bound(packed_symbols.begin(), packed_symbols.end(), std::make_pair(packed(id), 0u));
        if (it == packed_symbols.end() || it->first != packed(id)) return std::nullopt;
        return it->second;
    }

    bool group_has(const Node& group, std::uint32_t symbol) const {
        return (sets[group.set + symbol / 64] >> (symbol % 64)) & 1;
    }

    static std::uint64_t hash(const Frame* f, std::size_t n) {
        std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
        for (std::size_t i = 0; i < n; ++i) {
            h ^= f[i];
            h *= 0xBF58476D1CE4E5B9ULL;
            h ^= h >> 31;
        }
        return h;
    }

    bool same(std::uint32_t state, const std::vector<Frame>& f) const {
        auto [offset, depth] = states[state];
        return depth == f.size() && std::equal(f.begin(), f.end(), frames.begin() + offset);
    }

    std::uint32_t intern(const std::vector<Frame>& f) {
        const std::size_t mask = state_table.size() - 1;
        std::size_t slot = hash(f.data(), f.size()) & mask;
        for (; state_table[slot] != 0; slot = (slot + 1) & mask)
            if (same(state_table[slot] - 1, f)) return state_table[slot] - 1;
        const auto id = static_cast<std::uint32_t>(states.size());
        states.emplace_back(static_cast<std::uint32_t>(frames.size()), static_cast<std::uint32_t>(f.size()));
        frames.insert(frames.end(), f.begin(), f.end());
        state_table[slot] = id + 1;
        if (states.size() * 2 > state_table.size()) rehash(state_table.size() * 2);
        return id;
    }

    void rehash(std::size_t size) {
        state_table.assign(size, 0);
        const std::size_t mask = size - 1;
        for (std::uint32_t id = 0; id < states.size(); ++id) {
            auto [offset, depth] = states[id];
            std::size_t slot = hash(frames.data() + offset, depth) & mask;
            while (state_table[slot] != 0) slot = (slot + 1) & mask;
            state_table[slot] = id + 1;
        }
    }

    void load(std::uint32_t state, std::vector<Frame>& out) const {
        auto [offset, depth] = states[state];
        out.assign(frames.begin() + offset, frames.begin() + offset + depth);
    }

    using Cost = std::pair<std::uint32_t, std::uint32_t>;
    struct Visit {
        std::uint32_t state;
        Cost cost;
        std::uint32_t pred;  // index in `visits`, kNone for the start
        Event event;
        bool settled = false;
    };
    struct Target {
        std::uint32_t state;
        Cost cost;
        std::uint32_t pred;
        Event event;
    };
    // Space the searches below reuse from one to the next.
    struct Scratch {
        std::vector<Visit> visits;
        std::vector<std::uint32_t> seen;  // state -> index in visits, kNone when not visited
        std::vector<std::pair<Cost, std::uint32_t>> queue;  // a min-heap
        std::vector<Target> targets;
        std::vector<Frame> f, g;
        std::vector<Event> path;
    } scratch;

    // The transitions out of `state` that read `symbol` (or, for end_symbol, that finish the message),
    // cheapest first: a shortest-path search over the silent moves.
    std::pair<std::uint32_t, std::uint32_t> moves(std::uint32_t state, std::uint32_t symbol) {
        const std::size_t key = std::size_t{state} * (end_symbol + 1) + symbol;
        if (key < memo.size() && memo[key].second != kUnknown.second) return memo[key];

        // Cost of a silent path: repairs first, then group instances entered (at equal repairs, the
        // reading that stays in the instances it is in: a second ORDER_OBSERVATION in the same
        // PATIENT_RESULT rather than a new PATIENT_RESULT).
        auto& visits = scratch.visits;
        auto& seen = scratch.seen;
        auto& queue = scratch.queue;
        auto& targets = scratch.targets;
        visits.clear();
        targets.clear();
        queue.clear();
        auto relax = [&](std::uint32_t s, Cost cost, std::uint32_t pred, Event ev) {
            if (seen.size() <= s) seen.resize(states.size(), kNone);
            std::uint32_t& at = seen[s];
            if (at == kNone) {
                at = static_cast<std::uint32_t>(visits.size());
                visits.push_back({s, cost, pred, ev});
            } else {
                Visit& v = visits[at];
                if (v.settled || v.cost <= cost) return;
                v.cost = cost;
                v.pred = pred;
                v.event = ev;
            }
            queue.push_back({cost, at});
            std::push_heap(queue.begin(), queue.end(), std::greater<>());
        };
        auto reach = [&](std::uint32_t s, Cost cost, std::uint32_t pred, Event ev) {
            for (const Target& t : targets)
                if (t.state == s) return;  // found before at no higher cost: visits settle in cost order
            targets.push_back({s, cost, pred, ev});
        };

        relax(state, {0, 0}, kNone, {});
        auto& f = scratch.f;
        auto& g = scratch.g;
        while (!queue.empty()) {
            std::pop_heap(queue.begin(), queue.end(), std::greater<>());
            const std::uint32_t vi = queue.back().second;
            queue.pop_back();
            if (visits[vi].settled) continue;
            visits[vi].settled = true;
            const Cost cost = visits[vi].cost;
            load(visits[vi].state, f);
            const Frame bottom = f.back();
            const Node& group = nodes[frame_node(bottom)];
            const std::uint32_t j = frame_child(bottom);
            const std::uint32_t n = frame_count(bottom);
            if (j < group.child_count) {
                const std::uint32_t ci = group.first_child + j;
                const Node& child = nodes[ci];
                // A choice takes one alternative per occurrence.
                const bool room = group.choice ? n == 0 : (child.max == 0 || n < child.max);
                if (symbol != end_symbol && room) {
                    const std::uint32_t begun = std::min(n + 1, child.cap);
                    if (!child.group && child.symbol == symbol) {
                        g = f;
                        g.back() = group.choice ? make_frame(frame_node(bottom), group.child_count, 0, true)
                                                : make_frame(frame_node(bottom), j, begun, true);
                        for (Frame& fr : g) fr |= Frame{1} << 63;
                        reach(intern(g), cost, vi, {EventKind::read, ci, 0});
                    } else if (child.group && group_has(child, symbol)) {
                        g = f;
                        g.back() = make_frame(frame_node(bottom), j, begun, frame_nonempty(bottom));
                        g.push_back(make_frame(ci, 0, 0, false));
                        relax(intern(g), {cost.first, cost.second + 1}, vi, {EventKind::enter, ci, 0});
                    }
                }
                // Advance to the next child (past the alternatives, once a choice has taken one); a
                // required child with too few occurrences is a repair.
                const bool short_of = !group.choice && n < child.min;
                const std::uint32_t next = group.choice && n > 0 ? group.child_count : j + 1;
                g = f;
                g.back() = make_frame(frame_node(bottom), next, 0, frame_nonempty(bottom));
                relax(intern(g), {cost.first + (short_of ? 1 : 0), cost.second}, vi,
                      {short_of ? EventKind::missing : EventKind::advance, ci, n});
            } else if (f.size() > 1) {
                // Leave a finished instance; an instance without a segment is no instance.
                if (frame_nonempty(bottom)) {
                    g = f;
                    g.pop_back();
                    relax(intern(g), cost, vi, {EventKind::leave, frame_node(bottom), 0});
                }
            } else if (symbol == end_symbol) {
                reach(visits[vi].state, cost, vi, {EventKind::leave, 0, 0});
            }
        }

        auto first = static_cast<std::uint32_t>(transitions.size());
        auto& path = scratch.path;
        for (const Target& t : targets) {
            path.clear();
            path.push_back(t.event);
            for (std::uint32_t p = t.pred; p != kNone && visits[p].pred != kNone; p = visits[p].pred)
                if (visits[p].event.kind != EventKind::advance) path.push_back(visits[p].event);
            std::reverse(path.begin(), path.end());
            Transition tr;
            tr.target = t.state;
            tr.cost = t.cost.first;
            tr.events_begin = static_cast<std::uint32_t>(events.size());
            events.insert(events.end(), path.begin(), path.end());
            tr.events_end = static_cast<std::uint32_t>(events.size());
            transitions.push_back(tr);
        }
        for (const Visit& v : visits) seen[v.state] = kNone;
        auto result = std::make_pair(first, static_cast<std::uint32_t>(targets.size()));
        if (memo.size() <= key) memo.resize(std::max(key + 1, states.size() * (end_symbol + 1)), kUnknown);
        memo[key] = result;
        return result;
    }

    // --- the search over (position, state) ------------------------------------------------------

    struct Step {
        std::uint32_t position = 0;  // how many segments have been read or set aside
        std::uint32_t state = 0;
        std::uint64_t repairs = 0;
        std::uint64_t lateness = 0;  // tie-break: segments set aside early weigh more
        std::uint32_t pred = kNone;
        std::uint32_t via = kSkip;  // a transition index, or kSkip
        bool settled = false;
    };

    static bool better(const Step& a, std::uint64_t repairs, std::uint64_t lateness) {
        return repairs < a.repairs || (repairs == a.repairs && lateness < a.lateness);
    }

    // The common case first: a valid message is read by the moves that need no repair, a plain
    // simulation of the matcher position by position (the states alive at one position are few).
    // Returns false when no such reading exists, or when too many states are alive at once.
    bool repair_free(const std::vector<std::uint32_t>& in, std::vector<Step>& steps, std::uint32_t& final_step) {
        constexpr std::size_t kMaxAlive = 256;
        const auto length = static_cast<std::uint32_t>(in.size());
        steps.clear();
        steps.reserve(in.size() + 2);
        steps.push_back({0, start, 0, 0, kNone, kSkip});
        std::size_t layer_begin = 0, layer_end = 1;
        for (std::uint32_t position = 0; position <= length; ++position) {
            const std::uint32_t symbol = position < length ? in[position] : end_symbol;
            const std::size_t next_begin = steps.size();
            for (std::size_t from = layer_begin; from < layer_end; ++from) {
                auto [first, count] = moves(steps[from].state, symbol);
                for (std::uint32_t t = first; t < first + count && transitions[t].cost == 0; ++t) {
                    const std::uint32_t target = transitions[t].target;
                    bool known = false;
                    for (std::size_t k = next_begin; k < steps.size() && !known; ++k) known = steps[k].state == target;
                    if (known) continue;  // reached before: the earlier reading is kept
                    steps.push_back({position + 1, target, 0, 0, static_cast<std::uint32_t>(from), t});
                    if (steps.size() - next_begin > kMaxAlive) return false;
                }
            }
            if (steps.size() == next_begin) return false;
            layer_begin = next_begin;
            layer_end = steps.size();
        }
        final_step = static_cast<std::uint32_t>(layer_begin);
        return true;
    }

    // The best reading of `symbols_in` (indexes into the symbol table), as the list of steps from the
    // start (each reading or setting aside one segment, then the final step that finishes the
    // message); empty when the search ran over its budget.
    std::vector<Step> exact(const std::vector<std::uint32_t>& in, std::uint32_t& final_step) {
        const auto length = static_cast<std::uint32_t>(in.size());
        std::vector<Step> steps;
        std::unordered_map<std::uint64_t, std::uint32_t> index;
        index.reserve(in.size() * 4 + 16);
        struct Entry {
            std::uint64_t repairs, lateness;
            std::uint32_t position, seq, step;
        };
        auto worse = [](const Entry& a, const Entry& b) {
            if (a.repairs != b.repairs) return a.repairs > b.repairs;
            if (a.lateness != b.lateness) return a.lateness > b.lateness;
            if (a.position != b.position) return a.position < b.position;  // further along first
            return a.seq > b.seq;
        };
        std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
        std::uint32_t seq = 0;
        auto relax = [&](std::uint32_t position, std::uint32_t state, std::uint64_t repairs, std::uint64_t lateness,
                         std::uint32_t pred, std::uint32_t via) {
            std::uint64_t key = (std::uint64_t{position} << 32) | state;
            auto [it, added] = index.try_emplace(key, static_cast<std::uint32_t>(steps.size()));
            if (added) {
                steps.push_back({position, state, repairs, lateness, pred, via});
            } else {
                Step& s = steps[it->second];
                if (s.settled || !better(s, repairs, lateness)) return;
                s.repairs = repairs;
                s.lateness = lateness;
                s.pred = pred;
                s.via = via;
            }
            heap.push({repairs, lateness, position, seq++, it->second});
        };
        relax(0, start, 0, 0, kNone, kSkip);
        const std::size_t budget = 64 * (in.size() + 1) + 4096;  // relaxations
        while (!heap.empty()) {
            Entry e = heap.top();
            heap.pop();
            Step& s = steps[e.step];
            if (s.settled || s.repairs != e.repairs || s.lateness != e.lateness) continue;
            s.settled = true;
            if (s.position == length + 1) {
                final_step = e.step;
                return steps;
            }
            if (seq > budget) return {};
            const std::uint32_t from = e.step;
            const std::uint32_t position = s.position;
            const std::uint32_t state = s.state;
            const std::uint64_t repairs = s.repairs;
            const std::uint64_t lateness = s.lateness;
            const std::uint32_t symbol = position < length ? in[position] : end_symbol;
            auto [first, count] = moves(state, symbol);
            for (std::uint32_t t = first; t < first + count; ++t)
                relax(position + 1, transitions[t].target, repairs + transitions[t].cost, lateness, from, t);
            if (position < length) relax(position + 1, state, repairs + 1, lateness + (length - position), from, kSkip);
        }
        return {};  // not reached: the end can always be reached by setting everything aside
    }

    // The fallback: position by position, keeping the best few states.
    std::vector<Step> beam(const std::vector<std::uint32_t>& in, std::uint32_t& final_step) {
        constexpr std::size_t kWidth = 16;
        const auto length = static_cast<std::uint32_t>(in.size());
        std::vector<Step> steps;
        steps.push_back({0, start, 0, 0, kNone, kSkip});
        std::vector<std::uint32_t> layer{0}, next;
        std::unordered_map<std::uint32_t, std::uint32_t> at;  // state -> step, in the next layer
        for (std::uint32_t position = 0; position <= length; ++position) {
            next.clear();
            at.clear();
            const std::uint32_t symbol = position < length ? in[position] : end_symbol;
            auto relax = [&](std::uint32_t state, std::uint64_t repairs, std::uint64_t lateness, std::uint32_t pred,
                             std::uint32_t via) {
                auto [it, added] = at.try_emplace(state, static_cast<std::uint32_t>(steps.size()));
                if (added) {
                    steps.push_back({position + 1, state, repairs, lateness, pred, via});
                    next.push_back(it->second);
                } else if (better(steps[it->second], repairs, lateness)) {
                    Step& s = steps[it->second];
                    s.repairs = repairs;
                    s.lateness = lateness;
                    s.pred = pred;
                    s.via = via;
                }
            };
            for (std::uint32_t from : layer) {
                const Step s = steps[from];
                auto [first, count] = moves(s.state, symbol);
                for (std::uint32_t t = first; t < first + count; ++t)
                    relax(transitions[t].target, s.repairs + transitions[t].cost, s.lateness, from, t);
                if (position < length) relax(s.state, s.repairs + 1, s.lateness + (length - position), from, kSkip);
            }
            std::stable_sort(next.begin(), next.end(), [&](std::uint32_t a, std::uint32_t b) {
                const Step& x = steps[a];
                return better(steps[b], x.repairs, x.lateness);
            });
            if (next.size() > kWidth) next.resize(kWidth);
            layer.swap(next);
        }
        final_step = layer.front();  // the end is always reachable, so the last layer is not empty
        return steps;
    }

    // What has been worked out stays for the next message, up to a bound: a stream of badly
    // disordered messages must not grow it without end.
    void forget_if_large() {
        constexpr std::size_t kMaxStates = 1 << 16;
        constexpr std::size_t kMaxEvents = 1 << 22;
        if (states.size() <= kMaxStates && events.size() <= kMaxEvents) return;
        frames.clear();
        states.clear();
        state_table.assign(64, 0);
        memo.clear();
        transitions.clear();
        events.clear();
        start = intern(std::vector<Frame>{make_frame(0, 0, 0, false)});
    }

    StructureMatch match(std::span<const std::string_view> ids, const StructureOptions& options) {
        forget_if_large();
        StructureMatch result;
        result.segments.resize(ids.size());
        std::vector<std::uint32_t> in;        // symbols of the segments to read
        std::vector<std::uint32_t> where;     // their message indexes
        for (std::size_t i = 0; i < ids.size(); ++i) {
            SegmentPlace& place = result.segments[i];
            std::string_view id = ids[i];
            if (!is_well_formed_segment_id(id)) {
                place.placement = SegmentPlacement::malformed_id;
            } else if (auto symbol = symbol_of_id(id)) {
                in.push_back(*symbol);
                where.push_back(static_cast<std::uint32_t>(i));
                place.placement = SegmentPlacement::placed;
            } else if (id[0] == 'Z' &&
                       (options.z_segments_anywhere || (options.z_allowed && options.z_allowed(id)))) {
                place.placement = SegmentPlacement::anywhere;
            } else {
                place.placement = SegmentPlacement::unexpected;
                StructureProblem p;
                p.kind = StructureProblemKind::unexpected;
                p.segment = static_cast<std::uint32_t>(i);
                result.problems.push_back(p);
            }
        }

        std::uint32_t final_step = 0;
        std::vector<Step> steps;
        if (!repair_free(in, steps, final_step)) steps = exact(in, final_step);
        if (steps.empty()) {
            result.approximate = true;
            steps = beam(in, final_step);
        }
        std::vector<std::uint32_t> path;
        for (std::uint32_t s = final_step; steps[s].pred != kNone; s = steps[s].pred) path.push_back(s);
        std::reverse(path.begin(), path.end());
        replay(steps, path, in, where, ids.size(), result);
        return result;
    }

    void replay(const std::vector<Step>& steps, const std::vector<std::uint32_t>& path,
                const std::vector<std::uint32_t>& in, const std::vector<std::uint32_t>& where, std::size_t size,
                StructureMatch& result) const {
        struct Open {
            std::uint32_t instance = kNone;
            std::uint32_t last_node = kNone;  // the group last entered from here, and its occurrence
            std::uint32_t last_occurrence = 0;
        };
        std::vector<Open> open{Open{}};
        std::vector<StructureProblem> missing;
        std::vector<std::uint32_t> set_aside;
        for (std::uint32_t si : path) {
            const Step& step = steps[si];
            const std::uint32_t position = step.position - 1;  // the segment this step read or set aside
            const std::uint32_t segment = position < in.size() ? where[position] : static_cast<std::uint32_t>(size);
            if (step.via == kSkip) {
                set_aside.push_back(segment);
                continue;
            }
            const Transition& t = transitions[step.via];
            for (std::uint32_t e = t.events_begin; e < t.events_end; ++e) {
                const Event& ev = events[e];
                const Node& node = nodes[ev.node];
                switch (ev.kind) {
                    case EventKind::enter: {
                        Open& top = open.back();
                        std::uint32_t occurrence = top.last_node == ev.node ? top.last_occurrence + 1 : 1;
                        top.last_node = ev.node;
                        top.last_occurrence = occurrence;
                        GroupInstance g;
                        g.group = node.def;
                        g.parent = top.instance;
                        g.occurrence = occurrence;
                        g.depth = static_cast<std::uint32_t>(open.size());
                        g.first = segment;
                        g.last = segment;
                        result.instances.push_back(g);
                        open.push_back({static_cast<std::uint32_t>(result.instances.size() - 1)});
                        break;
                    }
                    case EventKind::missing: {
                        StructureProblem p;
                        p.kind = ev.count == 0 ? StructureProblemKind::missing : StructureProblemKind::too_few;
                        p.node = node.def;
                        p.segment = segment;
                        p.instance = open.back().instance;
                        p.count = ev.count;
                        missing.push_back(p);
                        break;
                    }
                    case EventKind::advance: break;
                    case EventKind::leave:
                        if (open.size() > 1) open.pop_back();
                        break;
                    case EventKind::read: {
                        SegmentPlace& place = result.segments[segment];
                        place.node = node.def;
                        place.instance = open.back().instance;
                        for (const Open& o : open)
                            if (o.instance != kNone) result.instances[o.instance].last = segment;
                        break;
                    }
                }
            }
        }

        if (set_aside.empty() && missing.empty()) return surround(result);
        // Set aside: out of order, or repeated when the nearest placed segment before has its ID.
        std::vector<std::string_view> id_at(size);  // IDs of the segments read or set aside
        for (std::size_t k = 0; k < in.size(); ++k) id_at[where[k]] = symbols[in[k]];
        for (std::uint32_t segment : set_aside) result.segments[segment].placement = SegmentPlacement::out_of_order;
        const defs::StructureNode* last_placed = nullptr;
        for (std::size_t i = 0; i < size; ++i) {
            SegmentPlace& place = result.segments[i];
            if (place.placement == SegmentPlacement::placed) {
                last_placed = place.node;
            } else if (place.placement == SegmentPlacement::out_of_order && last_placed &&
                       last_placed->name == id_at[i]) {
                place.placement = SegmentPlacement::repeated;
            }
        }
        // A segment set aside is present: it is not reported missing as well. Each one is counted
        // once, the earliest first.
        std::unordered_map<std::string_view, std::pair<std::vector<std::uint32_t>, std::size_t>> unclaimed;
        for (std::uint32_t segment : set_aside) {
            StructureProblem p;
            const bool repeated = result.segments[segment].placement == SegmentPlacement::repeated;
            p.kind = repeated ? StructureProblemKind::repeated : StructureProblemKind::out_of_order;
            p.segment = segment;
            result.problems.push_back(p);
            unclaimed[id_at[segment]].first.push_back(segment);
        }
        for (StructureProblem& p : missing) {
            if (p.node->is_group()) continue;
            auto it = unclaimed.find(p.node->name);
            if (it == unclaimed.end()) continue;
            auto& [list, used] = it->second;
            while (used < list.size() && p.count < p.node->min) {
                ++used;
                ++p.count;
            }
            if (p.count >= p.node->min) p.node = nullptr;  // fully accounted for
            else if (p.count > 0) p.kind = StructureProblemKind::too_few;
        }
        for (const StructureProblem& p : missing)
            if (p.node) result.problems.push_back(p);
        surround(result);
    }

    // Segments outside the reading: the innermost instance with segments on both sides.
    static void surround(StructureMatch& result) {
        std::uint32_t previous = kNone;  // the nearest placed segment before
        for (std::size_t i = 0; i < result.segments.size(); ++i) {
            SegmentPlace& place = result.segments[i];
            if (place.placement == SegmentPlacement::placed) {
                previous = static_cast<std::uint32_t>(i);
                continue;
            }
            if (previous == kNone) continue;
            for (std::uint32_t g = result.segments[previous].instance; g != kNone; g = result.instances[g].parent) {
                if (result.instances[g].last > i) {
                    place.instance = g;
                    break;
                }
            }
        }
    }
};

StructureMatcher::StructureMatcher(const defs::MessageDef& structure) : impl_(std::make_unique<Impl>(structure)) {}
StructureMatcher::~StructureMatcher() = default;
StructureMatcher::StructureMatcher(StructureMatcher&&) noexcept = default;
StructureMatcher& StructureMatcher::operator=(StructureMatcher&&) noexcept = default;

const defs::MessageDef& StructureMatcher::structure() const { return *impl_->def; }

StructureMatch StructureMatcher::match(std::span<const std::string_view> segment_ids,
                                       const StructureOptions& options) {
    return impl_->match(segment_ids, options);
}

StructureMatch StructureMatcher::match(const Message& message, const StructureOptions& options) {
    std::vector<std::string_view> ids(message.size());
    for (std::size_t i = 0; i < message.size(); ++i) ids[i] = message.segment_id(i);
    return impl_->match(ids, options);
}

StructureMatch match_structure(const Message& message, const defs::MessageDef& structure,
                               const StructureOptions& options) {
    StructureMatcher matcher(structure);
    return matcher.match(message, options);
}

// --- StructureMatch helpers ----------------------------------------------------------------------

std::optional<std::uint32_t> StructureMatch::enclosing(std::size_t segment, std::string_view group) const {
    if (segment >= segments.size()) return std::nullopt;
    for (std::uint32_t g = segments[segment].instance; g != kNone; g = instances[g].parent)
        if (instances[g].group->name == group) return g;
    return std::nullopt;
}

bool StructureMatch::contains(std::uint32_t instance, std::size_t segment) const {
    if (instance >= instances.size()) return false;
    return segment >= instances[instance].first && segment <= instances[instance].last;
}

std::span<const SegmentPlace> StructureMatch::segments_of(std::uint32_t instance) const {
    if (instance >= instances.size()) return {};
    const GroupInstance& g = instances[instance];
    return std::span<const SegmentPlace>(segments).subspan(g.first, g.last - g.first + 1);
}

std::string StructureMatch::instance_path(std::uint32_t instance) const {
    std::vector<std::uint32_t> chain;
    for (std::uint32_t g = instance; g != kNone && g < instances.size(); g = instances[g].parent) chain.push_back(g);
    std::string out;
    for (std::size_t k = chain.size(); k-- > 0;) {
        const GroupInstance& g = instances[chain[k]];
        if (!out.empty()) out += '/';
        out += g.group->name;
        out += '[';
        out += std::to_string(g.occurrence);
        out += ']';
    }
    return out;
}

std::string StructureMatch::group_path(std::size_t segment) const {
    if (segment >= segments.size()) return "";
    return instance_path(segments[segment].instance);
}

}  // namespace hl7
