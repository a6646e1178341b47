/* main.c: placeholder until the HTTP front end lands. */
#include <stdio.h>

int
main(void)
{
    puts("cqlgate: the HTTP APIs are not built yet");
    return 0;
}
