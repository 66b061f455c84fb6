#include "controller/BuildInfo.h"

#include "BuildCommit.h"  // generated: CSR_OPERATOR_COMMIT

namespace csrop {

std::string_view buildVersion() { return CSR_OPERATOR_VERSION; }
std::string_view buildCommit() { return CSR_OPERATOR_COMMIT; }

}  // namespace csrop
