using System.ComponentModel;
using System.Runtime.InteropServices;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>The few libc calls .NET has no API for: signals other than SIGKILL, and chown.</summary>
internal static partial class Native
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Sends a signal to a process, or to a process group when <paramref name="pid"/> is negative. False when none is left.</summary>
    public static bool Signal(int pid, int signal)
    {
        if (Kill(pid, signal) == 0)
        {
            return true;
        }
        var error = Marshal.GetLastPInvokeError();
        return error == NoSuchProcess ? false : throw new Win32Exception(error, $"kill({pid}, {signal}) failed");
    }

    public static bool IsAlive(int pid) => Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != NoSuchProcess;

    public static void ChangeOwner(string path, UnixAccount account)
    {
        if (Chown(path, account.UserId, account.GroupId) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"chown {account.Name} '{path}' failed");
        }
    }

    public static UnixAccount? FindAccount(string name)
    {
        var entry = GetPasswordEntry(name);
        if (entry == IntPtr.Zero)
        {
            return null;
        }
        var passwd = Marshal.PtrToStructure<Passwd>(entry);
        return new UnixAccount(name, passwd.UserId, passwd.GroupId);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "getpwnam", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetPasswordEntry(string name);

    // The head of glibc's struct passwd: char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Passwd
    {
        public readonly IntPtr Name;
        public readonly IntPtr Password;
        public readonly uint UserId;
        public readonly uint GroupId;
    }
}

internal sealed record UnixAccount(string Name, uint UserId, uint GroupId);
