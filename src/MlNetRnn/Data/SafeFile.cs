namespace MlNetRnn.Data;

/// <summary>
/// File safety in one place: atomic replacement of a file, a check that a file can be written before work
/// that ends in writing it, and bounded reads of files whose size comes from outside.
/// </summary>
public static class SafeFile
{
    /// <summary>
    /// Writes <paramref name="path"/> atomically: <paramref name="write"/> fills a hidden temporary file
    /// (<c>.name.&lt;32 hex&gt;.tmp</c>) in the same directory, which is flushed to disk and then moved over
    /// <paramref name="path"/>. On failure an existing file is left untouched and the temporary file removed.
    /// Temporary files of earlier writes to the same path that were killed midway are removed first (those
    /// still being written by another process are locked and kept).
    /// </summary>
    /// <exception cref="IOException">The target is a directory, its directory is missing, or the disk failed or is full.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var (full, directory, name) = Target(path);
        RemoveStaleTemporaries(directory, name);
        var temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Checks that <paramref name="path"/> could be written now: it is not a directory, its directory exists,
    /// and a temporary file can be created, written, flushed to disk and removed there. Call it before long
    /// work whose result goes to <paramref name="path"/>.
    /// </summary>
    /// <exception cref="IOException">The target is a directory, its directory is missing, or the disk is full or failing.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory or the existing file is not writable.</exception>
    public static void CheckWritable(string path)
    {
        var (full, directory, name) = Target(path);
        if (File.Exists(full) && new FileInfo(full).IsReadOnly)
            throw new UnauthorizedAccessException($"{path}: the file is read-only");
        var probe = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            stream.Write(new byte[4096]);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException($"{path}: cannot write in '{directory}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{path}: cannot write in '{directory}' (permission denied)", e);
        }
        finally
        {
            TryDelete(probe);
        }
    }

    /// <summary>Reads a whole file of at most <paramref name="maxBytes"/> bytes (the size is checked before
    /// anything is read, and again while reading, since a file can grow).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="IOException">The path is a directory.</exception>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckIsFile(path, what);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > maxBytes)
            throw new InvalidDataException($"{path}: {what} is {stream.Length} bytes, more than the {maxBytes} read");
        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        if (stream.ReadByte() != -1)
            throw new InvalidDataException($"{path}: {what} grew while it was read");
        return buffer;
    }

    /// <summary>Throws unless <paramref name="path"/> names an existing file: a directory and a missing file
    /// get different messages.</summary>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory.</exception>
    public static void CheckIsFile(string path, string what)
    {
        if (Directory.Exists(path))
            throw new IOException($"{path}: is a directory, not a{("aeiou".Contains(what[0]) ? "n" : "")} {what}");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: {what} not found", path);
    }

    /// <summary>
    /// <c>reader.ReadLine()</c> that refuses a line longer than <paramref name="maxChars"/> characters before
    /// holding more than that (so a file without line breaks cannot exhaust memory). Null at end of input.
    /// </summary>
    /// <exception cref="InvalidDataException">The line is longer than <paramref name="maxChars"/>.</exception>
    public static string? ReadLine(TextReader reader, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChars);
        var line = new System.Text.StringBuilder();
        while (true)
        {
            int c = reader.Read();
            if (c == -1) return line.Length == 0 ? null : line.ToString();
            if (c == '\n') break;
            if (c == '\r')
            {
                if (reader.Peek() == '\n') reader.Read();
                break;
            }
            if (line.Length == maxChars)
                throw new InvalidDataException($"a line is longer than {maxChars} characters");
            line.Append((char)c);
        }
        return line.ToString();
    }

    private static (string Full, string Directory, string Name) Target(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        if (name.Length == 0 || Directory.Exists(full))
            throw new IOException($"{path}: is a directory; expected a file name");
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{path}: directory '{directory}' does not exist");
        return (full, directory, name);
    }

    /// <summary>Removes <c>.name.&lt;32 hex&gt;.tmp</c> files left by killed writes, skipping any that another
    /// writer holds open (FileShare.None takes an exclusive lock on the file).</summary>
    private static void RemoveStaleTemporaries(string directory, string name)
    {
        string[] candidates;
        try
        {
            candidates = Directory.GetFiles(directory, $".{name}.*.tmp");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var candidate in candidates)
        {
            var middle = Path.GetFileName(candidate)[(name.Length + 2)..^4];
            if (middle.Length != 32 || !middle.All(Uri.IsHexDigit)) continue;
            try
            {
                using var exclusive = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                File.Delete(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Still being written by another save, or not ours to remove.
            }
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
