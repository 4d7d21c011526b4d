# cmake -DPROGRAM=... -DARG1=a [-DARG2=b] -DOUTPUT=FILE -P run_to_file.cmake: runs PROGRAM with the args, its stdout
# into OUTPUT; fails (and leaves no OUTPUT) when the program fails. For files the build generates by
# running a built binary.
execute_process(COMMAND ${PROGRAM} ${ARG1} ${ARG2} OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "${PROGRAM} ${ARG1} ${ARG2} failed: ${rc}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
