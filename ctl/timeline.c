#include "tcpfaultctl.h"
int do_timeline(int argc, char **argv){(void)argc;(void)argv;return 0;}
