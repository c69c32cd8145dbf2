using System.Globalization;

namespace MlNetRnn.MlNet;

/// <summary>
/// Training diverged: an epoch's loss, or the trained weights, became NaN or infinite, usually because the learning
/// rate is too high for the data. The settings, not the library, are at fault; the message says which epoch and what
/// to change, e.g. <c>Training diverged: the loss became NaN at epoch 2 (learning rate 1E+20). Lower the learning
/// rate or set a gradient clip norm.</c>
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception for 1-based <paramref name="epoch"/>, whose reported loss was
    /// <paramref name="loss"/> (finite when only the weights were found non-finite), trained with
    /// <paramref name="learningRate"/>.</summary>
    public TrainingDivergedException(int epoch, double loss, double learningRate)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Training diverged: {(double.IsFinite(loss) ? "the weights became NaN or infinite in" : $"the loss became {loss} at")} epoch {epoch} (learning rate {learningRate}). Lower the learning rate or set a gradient clip norm."))
    {
        Epoch = epoch;
        Loss = loss;
        LearningRate = learningRate;
    }

    /// <summary>The epoch (1-based) whose loss was not finite, or, when every loss was finite but the trained weights are
    /// not, the last epoch.</summary>
    public int Epoch { get; }

    /// <summary>That epoch's mean training loss.</summary>
    public double Loss { get; }

    /// <summary>The learning rate training used.</summary>
    public double LearningRate { get; }
}
