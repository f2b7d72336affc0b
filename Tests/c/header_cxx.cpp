// header_cxx — include/deit.h compiles as strict C++11 (-Wall -Wextra -Werror -pedantic) and its
// functions link with C linkage from C++.
#include "deit.h"

#include <cstdio>
#include <cstring>

int main() {
    deit_model *model = nullptr;
    const deit_status status = deit_model_load_file(nullptr, &model);
    deit_model_info info = deit_model_info();
    const bool ok = status == DEIT_ERR_INVALID_ARGUMENT && model == nullptr &&
                    deit_model_get_info(nullptr, &info) == DEIT_ERR_INVALID_ARGUMENT &&
                    std::strcmp(deit_status_string(DEIT_OK), "DEIT_OK") == 0 && deit_last_error()[0] != '\0' &&
                    deit_version_string() != nullptr;
    deit_model_free(nullptr);
    deit_session_free(nullptr);
    std::printf("%s  header_cxx: C++11 includes deit.h and links libdeit %s\n", ok ? "PASS" : "FAIL",
                deit_version_string());
    return ok ? 0 : 1;
}
