# pb_install.cmake: what `cmake --install` puts under the prefix.
#   bin/prunebound
#   lib/libprunebound.a, lib/libprunebound.so (+ versioned names)
#   include/prunebound/*.h            the parts' public headers
#   lib/pkgconfig/prunebound.pc       pkg-config --cflags --libs prunebound
#   lib/cmake/prunebound/             find_package(prunebound): prunebound::prunebound
#   share/prunebound/plots/           the gnuplot templates `prunebound plot` runs
#   lib/python3/dist-packages/prunebound/   the Python package (docs/PYTHON.md)
include(CMakePackageConfigHelpers)

install(TARGETS prunebound RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS prunebound_static prunebound_shared
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
get_property(pb_headers GLOBAL PROPERTY PB_PUBLIC_HEADERS)
install(FILES ${pb_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/prunebound)
install(DIRECTORY results/plots/ DESTINATION ${CMAKE_INSTALL_DATADIR}/prunebound/plots
  FILES_MATCHING PATTERN "*.gp")

# Public headers include <hdf5.h> and <gsl/...>: their folders go into Cflags.
set(pb_pc_cflags "-I\${includedir}")
foreach(d IN LISTS HDF5_C_INCLUDE_DIRS GSL_INCLUDE_DIRS)
  if(NOT d STREQUAL "/usr/include")
    string(APPEND pb_pc_cflags " -I${d}")
  endif()
endforeach()
# The tube's Arb and FLINT (PB_WITH_TUBE) for static linking.
set(pb_pc_arb "")
if(PB_WITH_TUBE)
  set(pb_pc_arb " -lflint-arb -lflint")
endif()
# The .pc file finds its prefix from its own folder: PREFIX/<libdir>/pkgconfig.
file(RELATIVE_PATH pb_pc_up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(cmake/prunebound.pc.in ${PROJECT_BINARY_DIR}/prunebound.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/prunebound.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(PB_CMAKE_INCLUDE_DIRS ${HDF5_C_INCLUDE_DIRS} ${GSL_INCLUDE_DIRS})
configure_package_config_file(cmake/prunebound-config.cmake.in
  ${PROJECT_BINARY_DIR}/prunebound-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/prunebound
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/prunebound-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/prunebound-config.cmake
  ${PROJECT_BINARY_DIR}/prunebound-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/prunebound)

# The Python package (python/, docs/PYTHON.md): PREFIX/lib/python3/dist-packages/prunebound,
# which loads PREFIX/lib/libprunebound.so from its own folder (no _config.py installed).
install(FILES ${PB_PYTHON_SOURCES}
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/python3/dist-packages/prunebound)
