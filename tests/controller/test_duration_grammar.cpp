// One duration grammar (signers/Duration.h) wherever a duration is written (issue 16).
#include "controller/ConfigLoader.h"
#include "pki/PkiArgs.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

TEST_CASE("durations: the same strings are accepted or refused in the file, --set, an environment variable and pki flags") {
  struct Case {
    std::string text;
    bool accepted;
  };
  const std::vector<Case> cases = {{"30d", true},  {"8760h", true},   {"1h30m", true}, {"1.5d", true}, {"500ms", true},
                                   {"0", true},    {"2us", true},     {"1y", false},   {"45", false},  {"-1h", false},
                                   {"1 h", false}, {"36526d", false}, {"1h30", false}};
  const std::string key = "approver.kubeletServing.dnsResolution.timeout";
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto accepts = [](auto read) {
      try {
        read();
        return true;
      } catch (const std::exception&) {
        return false;
      }
    };
    CHECK(accepts([&] {
            csrop::parseConfigText("approver: {kubeletServing: {dnsResolution: {timeout: '" + c.text + "'}}}\n", "c.yaml");
          }) == c.accepted);
    CHECK(accepts([&] { csrop::parseConfigText("", "c.yaml", {{key, "'" + c.text + "'"}}); }) == c.accepted);
    CHECK(accepts([&] { csrop::parseConfigText("", "c.yaml", {{key, c.text, "a flag", csrop::OverrideForm::Text}}); }) == c.accepted);
    CHECK(accepts([&] { csrop::pki::parseDuration(c.text); }) == c.accepted);
  }
}
