/* A receive that never completes, for the progress goroutine (wake.go). */
#ifndef MPICHAN_WAKE_H
#define MPICHAN_WAKE_H

#include <mpi.h>

typedef struct wake *wake_h;

int wake_open(wake_h *out);
int wake_test(wake_h w);
int wake_close(wake_h w);

#endif
