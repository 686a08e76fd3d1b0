/*
 * bcryptprimitives.c: a stand-in for Windows' bcryptprimitives.dll under
 * Wine 8, which lacks it. Go 1.24+ runtimes call ProcessPrng at start-up and
 * die with "bcryptprimitives.dll not found" without it. Newer Wine ships the
 * real DLL; this one only forwards to advapi32's RtlGenRandom
 * (SystemFunction036), which Wine has long implemented.
 */
#include <windows.h>

/* SystemFunction036 takes a ULONG length, so large requests go in chunks. */
typedef BOOLEAN (WINAPI *rtlgenrandom_fn)(PVOID, ULONG);

static rtlgenrandom_fn rtlgenrandom;

/* setup.sh looks for this marker to tell our shim from a real DLL. */
__attribute__((used)) const char gopipe_shim_marker[] = "gopipe-bcryptprimitives-shim";

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	if (rtlgenrandom == NULL) {
		HMODULE advapi = LoadLibraryA("advapi32.dll");
		if (advapi == NULL)
			return FALSE;
		rtlgenrandom = (rtlgenrandom_fn)GetProcAddress(advapi, "SystemFunction036");
		if (rtlgenrandom == NULL)
			return FALSE;
	}
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!rtlgenrandom(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst; (void)reason; (void)reserved;
	return TRUE;
}
