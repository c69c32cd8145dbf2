using Microsoft.ML;
using MlNetRnn.MlNet;
using MlNetRnn.Tests.MlNet;

namespace MlNetRnn.Tests.Cli;

/// <summary><c>predict</c> on piped input reads blocks of 1,024 lines: answers stay in input order across blocks,
/// blank lines stay blank, and a bad line still ends the run after the lines before it are answered.</summary>
[TestClass]
public sealed class CliPredictBatchingTests
{
    [TestMethod]
    public void PipedInput_AcrossBlocks_KeepsOrder_ThenABadLineFailsAsBefore()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var tagger = ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options()).Fit(data);
        var dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-batching-");
        try
        {
            var path = Path.Combine(dir.FullName, "svo.zip");
            SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
            string[] inputs = ["John loves Jane", "", "Jane loves Mary John"];
            using var engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(tagger);
            var answers = inputs.Select(line =>
            {
                var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var tags = tokens.Length == 0 ? [] : engine.Predict(new Sentence { Tokens = tokens }).PredictedTags!;
                return string.Join(' ', tokens.Zip(tags, (token, tag) => $"{token}/{tag}"));
            }).ToArray();
            const int lines = 1030; // one full block of 1,024 and part of a second
            var stdin = string.Concat(Enumerable.Range(0, lines).Select(i => inputs[i % 3] + "\n")) + "a b c d e\n";

            var result = CliProcess.Run(stdin, "predict", "--model", path, "--max-tokens", "4");

            CliAssert.UserError(result, $"stdin:{lines + 1}: 5 tokens, more than --max-tokens 4; split the sentence or raise --max-tokens");
            var expected = string.Concat(Enumerable.Range(0, lines).Select(i => answers[i % 3] + "\n"));
            Assert.AreEqual(expected, result.StdOut);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
