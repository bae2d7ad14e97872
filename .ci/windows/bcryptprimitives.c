/* bcryptprimitives.dll for wine 8.0, which lacks it.

   Rust's std (1.78 and later) imports ProcessPrng from bcryptprimitives.dll
   on Windows 10 and later; wine 8.0 (Debian bookworm) has no such DLL, so
   every Rust .exe stops at start with "Library bcryptprimitives.dll not
   found" (exit code 53). This stub exports the one function std needs and
   forwards it to BCryptGenRandom, which wine has. It is built and copied
   into memlab's own wine prefix by .ci/windows/setup; on real Windows the
   system's DLL is used and this file plays no part. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        /* BCryptGenRandom takes a ULONG length: ask in chunks. */
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
