# eBPF programs: kata_bpf_skeletons(TARGET SOURCES a.bpf.c ... [INCLUDES dir...]) compiles
# each a.bpf.c with clang -target bpf against a vmlinux.h generated from the running
# kernel's BTF (build tree only, never committed) and generates a.skel.h with bpftool.
# TARGET is an INTERFACE library: link it to get the skeleton headers and the build order.
find_program(KATA_BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(KATA_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
set(KATA_BTF_VMLINUX /sys/kernel/btf/vmlinux CACHE FILEPATH "kernel BTF to generate vmlinux.h from")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(KATA_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(KATA_BPF_ARCH arm64)
else()
  set(KATA_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(kata_bpf_skeletons target)
  cmake_parse_arguments(B "" "" "SOURCES;INCLUDES" ${ARGN})
  set(outdir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${outdir})
  set(vmlinux_h ${outdir}/vmlinux.h)
  add_custom_command(OUTPUT ${vmlinux_h}
    COMMAND ${KATA_BPFTOOL} btf dump file ${KATA_BTF_VMLINUX} format c > ${vmlinux_h}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${vmlinux_h}.tmp ${vmlinux_h}
    COMMENT "Generating vmlinux.h from ${KATA_BTF_VMLINUX}"
    VERBATIM)
  set(incs)
  foreach(dir ${B_INCLUDES})
    list(APPEND incs -I${dir})
  endforeach()
  set(skels)
  foreach(src ${B_SOURCES})
    get_filename_component(name ${src} NAME_WE) # exec.bpf.c -> exec
    get_filename_component(abs ${src} ABSOLUTE)
    get_filename_component(srcdir ${abs} DIRECTORY)
    file(GLOB headers ${srcdir}/*.h)
    set(obj ${outdir}/${name}.bpf.o)
    set(skel ${outdir}/${name}.skel.h)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${KATA_BPF_CLANG} -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_${KATA_BPF_ARCH}
              -I${outdir} -I${srcdir} ${incs} -c ${abs} -o ${obj}
      DEPENDS ${abs} ${headers} ${vmlinux_h}
      COMMENT "Compiling eBPF program ${name}.bpf.c"
      VERBATIM)
    add_custom_command(OUTPUT ${skel}
      COMMAND ${KATA_BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}.tmp
      COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
      DEPENDS ${obj}
      COMMENT "Generating skeleton ${name}.skel.h"
      VERBATIM)
    list(APPEND skels ${skel})
  endforeach()
  add_custom_target(${target}-gen DEPENDS ${skels})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}-gen)
  target_include_directories(${target} INTERFACE ${outdir})
endfunction()
