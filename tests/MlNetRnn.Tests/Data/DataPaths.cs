namespace MlNetRnn.Tests.Data;

/// <summary>Locates data files relative to the test binaries, wherever the repository is cloned.</summary>
internal static class DataPaths
{
    /// <summary>The repository's <c>datasets/</c> folder (the one next to <c>MlNetRnn.sln</c>).</summary>
    public static string RepoDataset(string fileName)
    {
        foreach (var dir in Ancestors())
        {
            if (File.Exists(Path.Combine(dir, "MlNetRnn.sln")))
            {
                return Path.Combine(dir, "datasets", fileName);
            }
        }

        throw new DirectoryNotFoundException($"No MlNetRnn.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// A file under a sibling <c>shared/datasets/</c> folder of some ancestor directory, or null when absent
    /// (the shared data is not part of the repository).
    /// </summary>
    public static string? SharedDataset(string relativePath)
    {
        foreach (var dir in Ancestors())
        {
            var candidate = Path.Combine(dir, "shared", "datasets", relativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A fresh temp file path; the caller deletes it.</summary>
    public static string TempFile(string extension) =>
        Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}{extension}");

    private static IEnumerable<string> Ancestors()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            yield return dir.FullName;
        }
    }
}
