// A bounded map that forgets the least recently used entry first. Pure and
// single-threaded: callers that share one add their own lock.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace ledgerd::state {

template<class Key, class Value>
class lru_cache {
public:
  /// Throws std::invalid_argument for a capacity of 0.
  explicit lru_cache(std::size_t capacity)
    : capacity_(capacity) {
    if (capacity == 0)
      throw std::invalid_argument("an LRU cache needs a capacity of 1 or more");
  }

  /// The value of `key`, which becomes the most recently used; nullopt when
  /// absent.
  std::optional<Value> get(const Key& key) {
    auto i = index_.find(key);
    if (i == index_.end())
      return std::nullopt;
    items_.splice(items_.begin(), items_, i->second);
    return i->second->second;
  }

  /// Inserts or replaces `key`; evicts the least recently used entry when
  /// full.
  void put(const Key& key, Value value) {
    if (auto i = index_.find(key); i != index_.end()) {
      i->second->second = std::move(value);
      items_.splice(items_.begin(), items_, i->second);
      return;
    }
    if (items_.size() == capacity_) {
      index_.erase(items_.back().first);
      items_.pop_back();
    }
    items_.emplace_front(key, std::move(value));
    index_.emplace(key, items_.begin());
  }

  void erase(const Key& key) {
    if (auto i = index_.find(key); i != index_.end()) {
      items_.erase(i->second);
      index_.erase(i);
    }
  }

  std::size_t size() const noexcept {
    return items_.size();
  }

  std::size_t capacity() const noexcept {
    return capacity_;
  }

private:
  using entries = std::list<std::pair<Key, Value>>;
  std::size_t capacity_;
  entries items_;
  std::unordered_map<Key, typename entries::iterator> index_;
};

} // namespace ledgerd::state
