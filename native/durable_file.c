// One thread-pool job for a small object's whole durable write: create the temp file, write the
// body, fsync, fstat, close and (optionally) rename it into place. Done from JavaScript, these are
// three thread-pool round trips (open, fsync, rename) plus inline write/fstat/close on the event
// loop; each round trip costs the loop 20-70 us on a busy 2-vCPU machine (waking a pool thread,
// which may take the loop's CPU, then running its completion), and the loop is what limits small
// PUTs (docs/adr/0006). Also copyInto (at the end): memcpy into the hash workers' shared memory.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#define MAX_CHUNKS 64

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref chunks_ref; // keeps the body's buffers alive while the pool thread writes them
  char *temp;
  char *target; // NULL: leave the file at `temp`
  struct iovec iov[MAX_CHUNKS];
  int iovcnt;
  // results
  int err;             // errno of the failed step, 0 on success
  const char *syscall; // the failed step
  double mtime_ms;
} job_t;

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  int fd;
  do {
    fd = open(j->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    j->err = errno;
    j->syscall = "open";
    return;
  }
  struct iovec *iov = j->iov;
  int cnt = j->iovcnt;
  while (cnt > 0) {
    ssize_t n = writev(fd, iov, cnt);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { // 0 would loop forever; a regular file never returns it for a non-empty write
      j->err = n < 0 ? errno : EIO;
      j->syscall = "write";
      goto fail;
    }
    // A short write (disk nearly full): skip what was written, write the rest.
    while (cnt > 0 && (size_t)n >= iov->iov_len) {
      n -= (ssize_t)iov->iov_len;
      iov++;
      cnt--;
    }
    if (cnt > 0) {
      iov->iov_base = (char *)iov->iov_base + n;
      iov->iov_len -= (size_t)n;
    }
  }
  if (fsync(fd) != 0) {
    j->err = errno;
    j->syscall = "fsync";
    goto fail;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    j->err = errno;
    j->syscall = "fstat";
    goto fail;
  }
#ifdef __APPLE__
  j->mtime_ms = (double)st.st_mtimespec.tv_sec * 1e3 + (double)st.st_mtimespec.tv_nsec / 1e6;
#else
  j->mtime_ms = (double)st.st_mtim.tv_sec * 1e3 + (double)st.st_mtim.tv_nsec / 1e6;
#endif
  if (close(fd) != 0 && errno != EINTR) {
    j->err = errno;
    j->syscall = "close";
    unlink(j->temp);
    return;
  }
  // A failed rename leaves the temp file complete and synced: the caller decides (make the parent
  // directory and retry, or remove it).
  if (j->target != NULL && rename(j->temp, j->target) != 0) {
    j->err = errno;
    j->syscall = "rename";
  }
  return;
fail:
  close(fd);
  unlink(j->temp);
}

// An Error shaped like node's own fs errors: message, code, errno (negative), syscall, path (and
// dest for a rename).
static napi_value fs_error(napi_env env, job_t *j) {
  bool renaming = strcmp(j->syscall, "rename") == 0;
  const char *code = uv_err_name(-j->err);
  char msg[2 * PATH_MAX + 160];
  if (renaming) {
    snprintf(msg, sizeof msg, "%s: %s, rename '%s' -> '%s'", code, uv_strerror(-j->err), j->temp, j->target);
  } else {
    snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, uv_strerror(-j->err), j->syscall, j->temp);
  }
  napi_value e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &v);
  napi_create_error(env, NULL, v, &e);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "code", v);
  napi_create_int32(env, -j->err, &v);
  napi_set_named_property(env, e, "errno", v);
  napi_create_string_utf8(env, j->syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "syscall", v);
  napi_create_string_utf8(env, j->temp, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "path", v);
  if (renaming) {
    napi_create_string_utf8(env, j->target, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, e, "dest", v);
  }
  return e;
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  if (status == napi_ok && j->err == 0) {
    napi_value v;
    napi_create_double(env, j->mtime_ms, &v);
    napi_resolve_deferred(env, j->deferred, v);
  } else {
    if (status != napi_ok && j->err == 0) {
      j->err = ECANCELED;
      j->syscall = "open";
    }
    napi_reject_deferred(env, j->deferred, fs_error(env, j));
  }
  napi_delete_reference(env, j->chunks_ref);
  napi_delete_async_work(env, j->work);
  free(j->temp);
  free(j->target);
  free(j);
}

static char *string_arg(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) { // an embedded NUL would silently shorten the path
    free(s);
    return NULL;
  }
  return s;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

// writeFile(temp: string, chunks: Buffer[], target: string | null): Promise<number> (the mtime in ms)
static napi_value write_file(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return throw_type(env, "writeFile(temp, chunks, target) takes three arguments");
  bool is_array;
  napi_is_array(env, argv[1], &is_array);
  uint32_t n = 0;
  if (is_array) napi_get_array_length(env, argv[1], &n);
  if (!is_array || n > MAX_CHUNKS) return throw_type(env, "chunks must be an array of at most 64 Buffers");
  napi_valuetype tt;
  napi_typeof(env, argv[2], &tt);

  job_t *j = calloc(1, sizeof *j);
  if (j == NULL) return throw_type(env, "out of memory");
  j->temp = string_arg(env, argv[0]);
  j->target = tt == napi_null ? NULL : string_arg(env, argv[2]);
  if (j->temp == NULL || (tt != napi_null && j->target == NULL)) {
    free(j->temp);
    free(j->target);
    free(j);
    return throw_type(env, "temp and target must be strings without NUL (target may be null)");
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    bool is_buffer;
    napi_get_element(env, argv[1], i, &el);
    napi_is_buffer(env, el, &is_buffer);
    if (!is_buffer) {
      free(j->temp);
      free(j->target);
      free(j);
      return throw_type(env, "chunks must be an array of at most 64 Buffers");
    }
    void *p;
    size_t len;
    napi_get_buffer_info(env, el, &p, &len);
    if (len == 0) continue;
    j->iov[j->iovcnt].iov_base = p;
    j->iov[j->iovcnt].iov_len = len;
    j->iovcnt++;
  }
  napi_create_reference(env, argv[1], 1, &j->chunks_ref);
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "coffer:writeFile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

// --- copyInto: memcpy into a SharedArrayBuffer-backed buffer ---
//
// V8 copies into shared memory with relaxed atomic word copies (another thread may read it), about
// half memcpy's speed; a large upload's bodies all pass through the hash workers' shared ring.

// copyInto(target: Buffer, targetStart: number, source: Buffer, sourceStart: number, sourceEnd: number): number
static napi_value copy_into(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return throw_type(env, "copyInto(target, targetStart, source, sourceStart, sourceEnd) takes 5 arguments");
  void *dst, *src;
  size_t dst_len, src_len;
  bool is_buffer;
  napi_is_buffer(env, argv[0], &is_buffer);
  if (!is_buffer) return throw_type(env, "target must be a Buffer");
  napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) return throw_type(env, "source must be a Buffer");
  napi_get_buffer_info(env, argv[0], &dst, &dst_len);
  napi_get_buffer_info(env, argv[2], &src, &src_len);
  double t0, s0, s1;
  napi_get_value_double(env, argv[1], &t0);
  napi_get_value_double(env, argv[3], &s0);
  napi_get_value_double(env, argv[4], &s1);
  if (!(t0 >= 0 && t0 <= (double)dst_len && s0 >= 0 && s1 >= s0 && s1 <= (double)src_len))
    return throw_type(env, "offsets out of range");
  size_t n = (size_t)s1 - (size_t)s0;
  if (n > dst_len - (size_t)t0) n = dst_len - (size_t)t0;
  memcpy((char *)dst + (size_t)t0, (char *)src + (size_t)s0, n);
  napi_value v;
  napi_create_double(env, (double)n, &v);
  return v;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "copyInto", NAPI_AUTO_LENGTH, copy_into, NULL, &fn);
  napi_set_named_property(env, exports, "copyInto", fn);
  napi_create_function(env, "writeFile", NAPI_AUTO_LENGTH, write_file, NULL, &fn);
  napi_set_named_property(env, exports, "writeFile", fn);
  return exports;
}
