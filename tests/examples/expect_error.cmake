# Runs one example the way a user would, with bad input, and checks that it fails well:
# a non-zero exit, exactly one line on stderr that starts with the program's name and matches
# EXPECT, and (when KEEP is given) the file KEEP byte for byte as it was before.
#
#   cmake -D RUN="prog;--flag;value" -D EXPECT=regex [-D KEEP=file] -P expect_error.cmake
if(NOT RUN OR NOT EXPECT)
  message(FATAL_ERROR "expect_error.cmake needs -D RUN=... and -D EXPECT=...")
endif()
list(GET RUN 0 program)
get_filename_component(program_name "${program}" NAME_WE)

if(KEEP)
  if(NOT EXISTS "${KEEP}")
    message(FATAL_ERROR "the file to keep, ${KEEP}, does not exist before the run")
  endif()
  file(SHA256 "${KEEP}" keep_before)
endif()

execute_process(COMMAND ${RUN} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE stderr
                TIMEOUT 60)
string(STRIP "${stderr}" stderr)

if(rc STREQUAL "0")
  message(FATAL_ERROR "expected a failure, but the program exited 0")
elseif(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "expected a clean non-zero exit, got: ${rc}\nstderr: ${stderr}")
endif()
if(stderr MATCHES "\n")
  message(FATAL_ERROR "expected one line on stderr, got:\n${stderr}")
endif()
if(NOT stderr MATCHES "^${program_name}: error: ")
  message(FATAL_ERROR "expected stderr to start with '${program_name}: error: ', got: ${stderr}")
endif()
if(NOT stderr MATCHES "${EXPECT}")
  message(FATAL_ERROR "expected stderr to match '${EXPECT}', got: ${stderr}")
endif()
if(KEEP)
  file(SHA256 "${KEEP}" keep_after)
  if(NOT keep_before STREQUAL keep_after)
    message(FATAL_ERROR "${KEEP} changed although the run failed")
  endif()
endif()
