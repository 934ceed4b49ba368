# pb_part.cmake: the parts of libprunebound.
#
# pb_part(NAME SOURCES file... [HEADERS file...] [DEPS part...] [LIBS lib...] [O3 file...])
#   One folder's sources as an OBJECT library NAME.  Its folder is its public
#   include directory; HEADERS are the ones installed under
#   include/prunebound (the rest are the part's own); DEPS are the parts it may include and call (linked
#   PUBLIC, so their headers come with them), LIBS the external libraries.
#   Files listed after O3 are compiled at -O3 in every build type but Debug:
#   their batch loops (common/pb_simd.h) vectorise only there.
# pb_library()
#   libprunebound (static prunebound_static, shared prunebound_shared) from the
#   objects of every part declared so far.

# External libraries as interface targets, so that parts name what they use.
add_library(pb_ext_gsl INTERFACE)
# GSL::gsl without GSL::gslcblas: the CBLAS symbols come from OpenBLAS.
target_include_directories(pb_ext_gsl SYSTEM INTERFACE ${GSL_INCLUDE_DIRS})
target_link_libraries(pb_ext_gsl INTERFACE ${GSL_LIBRARY} PkgConfig::OPENBLAS m)
add_library(pb_ext_hdf5 INTERFACE)
target_include_directories(pb_ext_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_compile_definitions(pb_ext_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
# A target with property PB_STATIC_HDF5 set (the prunebound executable) links
# HDF5's static archive, found next to its shared library, if PB_STATIC_HDF5
# is on and the archive exists; everything else links the shared library.
# The shared build of HDF5 loads libcurl, libcrypto and about thirty
# libraries behind them for drivers prunebound never opens; from the archive
# only the objects used are linked, and a command starts about 14 ms sooner
# (docs/PERFORMANCE.md, "Start-up and memory").
set(pb_hdf5_static_libs "")
if(PB_STATIC_HDF5)
  foreach(lib IN LISTS HDF5_C_LIBRARIES)
    if(lib MATCHES "/libhdf5(_serial)?\\.so$")
      string(REGEX REPLACE "\\.so$" ".a" archive "${lib}")
      if(EXISTS "${archive}")
        set(pb_hdf5_static_libs "${archive}" ${HDF5_C_LIBRARIES})
        list(REMOVE_ITEM pb_hdf5_static_libs "${lib}")
      endif()
    endif()
  endforeach()
  if(pb_hdf5_static_libs)
    message(STATUS "prunebound executable: HDF5 from ${archive}")
  else()
    message(STATUS "prunebound executable: no static HDF5 archive; the shared library")
  endif()
endif()
if(pb_hdf5_static_libs)
  target_link_libraries(pb_ext_hdf5 INTERFACE
    "$<IF:$<BOOL:$<TARGET_PROPERTY:PB_STATIC_HDF5>>,${pb_hdf5_static_libs},${HDF5_C_LIBRARIES}>")
else()
  target_link_libraries(pb_ext_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
endif()

# Arb and FLINT for the certified tube (PB_WITH_TUBE): parts that use them
# see PB_WITH_TUBE defined; without the option the target is empty.
add_library(pb_ext_arb INTERFACE)
if(PB_WITH_TUBE)
  target_include_directories(pb_ext_arb SYSTEM INTERFACE ${ARB_INCLUDE_DIR})
  target_compile_definitions(pb_ext_arb INTERFACE PB_WITH_TUBE=1)
  target_link_libraries(pb_ext_arb INTERFACE ${ARB_LIBRARY} ${FLINT_LIBRARY})
endif()

function(pb_part name)
  cmake_parse_arguments(P "" "" "SOURCES;HEADERS;DEPS;LIBS;O3" ${ARGN})
  add_library(${name} OBJECT ${P_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE PB_VERSION="${PROJECT_VERSION}")
  target_link_libraries(${name} PUBLIC ${P_DEPS} ${P_LIBS})
  if(P_O3)
    set_source_files_properties(${P_O3} PROPERTIES COMPILE_OPTIONS "$<$<NOT:$<CONFIG:Debug>>:-O3>")
  endif()
  set_property(GLOBAL APPEND PROPERTY PB_PARTS ${name})
  set_property(GLOBAL APPEND PROPERTY PB_PART_INCLUDES ${CMAKE_CURRENT_SOURCE_DIR})
  set_property(GLOBAL APPEND PROPERTY PB_PART_LIBS ${P_LIBS})
  foreach(h IN LISTS P_HEADERS)
    set_property(GLOBAL APPEND PROPERTY PB_PUBLIC_HEADERS ${CMAKE_CURRENT_SOURCE_DIR}/${h})
  endforeach()
endfunction()

function(pb_library)
  get_property(parts GLOBAL PROPERTY PB_PARTS)
  get_property(includes GLOBAL PROPERTY PB_PART_INCLUDES)
  get_property(libs GLOBAL PROPERTY PB_PART_LIBS)
  list(REMOVE_DUPLICATES libs)
  set(objects "")
  foreach(p IN LISTS parts)
    list(APPEND objects $<TARGET_OBJECTS:${p}>)
  endforeach()
  add_library(prunebound_static STATIC ${objects})
  add_library(prunebound_shared SHARED ${objects})
  set_target_properties(prunebound_shared PROPERTIES VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
  foreach(t prunebound_static prunebound_shared)
    set_target_properties(${t} PROPERTIES OUTPUT_NAME prunebound)
    target_include_directories(${t} PUBLIC "$<BUILD_INTERFACE:${includes}>")
    # The external libraries every part uses; their include folders come along.
    target_link_libraries(${t} PUBLIC ${libs})
  endforeach()
endfunction()
