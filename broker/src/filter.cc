// Filters and distribution summaries.
#include "lintas/broker/filter.h"

#include <algorithm>

namespace lintas::broker {
namespace {

// A tiny length-prefixed encoding: u8 count, then items.
void PutStrings(std::string* out, const std::vector<std::string>& items) {
  out->push_back(static_cast<char>(std::min<size_t>(items.size(), 255)));
  for (size_t i = 0; i < items.size() && i < 255; ++i) {
    out->push_back(static_cast<char>(std::min<size_t>(items[i].size(), 255)));
    out->append(items[i].substr(0, 255));
  }
}

void PutBytes(std::string* out, const std::vector<uint8_t>& items) {
  out->push_back(static_cast<char>(std::min<size_t>(items.size(), 255)));
  for (size_t i = 0; i < items.size() && i < 255; ++i) out->push_back(static_cast<char>(items[i]));
}

// A bounds-checked reader; any overrun marks it failed.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint8_t U8() {
    if (pos_ >= data_.size()) {
      failed_ = true;
      return 0;
    }
    return static_cast<uint8_t>(data_[pos_++]);
  }
  std::string Str() {
    size_t n = U8();
    if (pos_ + n > data_.size()) {
      failed_ = true;
      return {};
    }
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<std::string> Strings() {
    std::vector<std::string> out(U8());
    for (auto& s : out) s = Str();
    return out;
  }
  std::vector<uint8_t> Bytes() {
    std::vector<uint8_t> out(U8());
    for (auto& b : out) b = U8();
    return out;
  }
  bool failed() const { return failed_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

template <typename T>
bool ContainsOrEmpty(const std::vector<T>& list, const T& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::string DistributionSummary::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(kind));
  out.push_back(static_cast<char>(body));
  out.push_back(static_cast<char>(category));
  out.push_back(static_cast<char>(priority));
  PutStrings(&out, {origin});
  PutStrings(&out, countries);
  return out;
}

std::optional<DistributionSummary> DistributionSummary::Decode(std::string_view bytes) {
  Reader r(bytes);
  DistributionSummary s;
  s.kind = static_cast<fb::DistributionKind>(r.U8());
  s.body = static_cast<fb::Body>(r.U8());
  s.category = r.U8();
  s.priority = static_cast<fb::Priority>(r.U8());
  auto origin = r.Strings();
  s.countries = r.Strings();
  if (r.failed() || origin.size() != 1) return std::nullopt;
  s.origin = origin[0];
  return s;
}

std::optional<DistributionSummary> Summarize(const fb::Event& event, uint8_t category) {
  const fb::Distribution* d = event.distribution();
  if (d == nullptr || d->kind() == fb::DistributionKind::Addressed) return std::nullopt;
  DistributionSummary s;
  s.kind = d->kind();
  s.body = event.body_type();
  s.category = category;
  s.priority = event.priority();
  s.origin = event.origin()->country()->str();
  if (d->countries()) {
    for (const auto* c : *d->countries()) s.countries.push_back(c->str());
  }
  return s;
}

SubscriptionFilter SubscriptionFilter::FromProto(const proto::Filter* filter) {
  SubscriptionFilter f;
  if (filter == nullptr) return f;
  if (filter->origin_countries()) {
    for (const auto* c : *filter->origin_countries()) f.origin_countries.push_back(c->str());
  }
  if (filter->body_types()) f.body_types.assign(filter->body_types()->begin(), filter->body_types()->end());
  if (filter->alert_categories()) {
    f.alert_categories.assign(filter->alert_categories()->begin(),
                              filter->alert_categories()->end());
  }
  f.min_priority = filter->min_priority();
  return f;
}

std::string SubscriptionFilter::Encode() const {
  std::string out;
  PutStrings(&out, origin_countries);
  PutBytes(&out, body_types);
  PutBytes(&out, alert_categories);
  out.push_back(static_cast<char>(min_priority));
  return out;
}

SubscriptionFilter SubscriptionFilter::Decode(std::string_view bytes) {
  Reader r(bytes);
  SubscriptionFilter f;
  f.origin_countries = r.Strings();
  f.body_types = r.Bytes();
  f.alert_categories = r.Bytes();
  f.min_priority = static_cast<int8_t>(r.U8());
  return r.failed() ? SubscriptionFilter() : f;
}

bool SubscriptionFilter::Matches(const DistributionSummary& s,
                                 std::string_view node_country) const {
  if (s.kind == fb::DistributionKind::SelectedCountries &&
      std::find(s.countries.begin(), s.countries.end(), node_country) == s.countries.end()) {
    return false;
  }
  if (!ContainsOrEmpty(origin_countries, s.origin)) return false;
  if (!ContainsOrEmpty(body_types, static_cast<uint8_t>(s.body))) return false;
  bool is_alert = s.body == fb::Body::AlertPublished || s.body == fb::Body::AlertCancelled;
  if (is_alert && !ContainsOrEmpty(alert_categories, s.category)) return false;
  return static_cast<int8_t>(s.priority) >= min_priority;
}

}  // namespace lintas::broker
