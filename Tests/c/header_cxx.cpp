// header_cxx — include/deit.h compiles as strict C++11 (-Wall -Wextra -Werror -pedantic) and its
// functions link with C linkage from C++, the versioned structs and *_with_options ones included.
#include "deit.h"

#include <cstdio>
#include <cstring>

int main() {
    deit_model *model = nullptr;
    const deit_status status = deit_model_load_file(nullptr, &model);
    deit_model_info info = deit_model_info();
    info.struct_size = sizeof info;
    deit_load_options load = deit_load_options();
    deit_load_options_default(&load);
    deit_session_options options = deit_session_options();
    deit_session_options_default(&options);
    deit_session *session = nullptr;
    const bool ok = status == DEIT_ERR_INVALID_ARGUMENT && model == nullptr &&
                    deit_model_get_info(nullptr, &info) == DEIT_ERR_INVALID_ARGUMENT &&
                    load.struct_size == sizeof load && load.precision == DEIT_PRECISION_FILE &&
                    deit_model_load_file_with_options(nullptr, &load, &model) == DEIT_ERR_INVALID_ARGUMENT &&
                    options.struct_size == sizeof options && options.num_threads == 1 &&
                    deit_session_create_with_options(nullptr, &options, nullptr, 0, &session) ==
                        DEIT_ERR_INVALID_ARGUMENT &&
                    std::strcmp(deit_status_string(DEIT_OK), "DEIT_OK") == 0 && deit_last_error()[0] != '\0' &&
                    deit_version_string() != nullptr;
    deit_model_free(nullptr);
    deit_session_free(nullptr);
    std::printf("%s  header_cxx: C++11 includes deit.h and links libdeit %s\n", ok ? "PASS" : "FAIL",
                deit_version_string());
    return ok ? 0 : 1;
}
