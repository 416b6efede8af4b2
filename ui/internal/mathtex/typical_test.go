package mathtex

// typical is 50 expressions of the kind answers hold: fractions, sums,
// integrals, Greek, roots, sub- and superscripts, accents, delimiters.
// (Matrices are not among them: mathtex does not set them.)
var typical = []string{
	`x`, `x^2`, `x_i`, `x_i^2`, `a^2 + b^2 = c^2`,
	`E = mc^2`, `\frac{a}{b}`, `\frac{1}{2}`, `\frac{x+1}{x-1}`, `\frac{\partial f}{\partial x}`,
	`\sqrt{2}`, `\sqrt{x^2 + y^2}`, `\sum_{i=1}^{n} i`, `\sum_{k=0}^{\infty} \frac{x^k}{k!}`, `\prod_{i=1}^{n} a_i`,
	`\int_0^1 x\,dx`, `\int_{-\infty}^{\infty} e^{-x^2} dx`, `\alpha + \beta = \gamma`, `\theta`, `\pi r^2`,
	`\lambda x`, `\sigma^2`, `\mu \pm \sigma`, `\Delta x`, `\Omega`,
	`e^{i\pi} + 1 = 0`, `f(x) = ax^2 + bx + c`, `x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}`, `\binom{n}{k}`, `n!`,
	`\log_2 n`, `\sin^2 \theta + \cos^2 \theta = 1`, `\lim_{x \to 0} \frac{\sin x}{x}`, `a \leq b`, `x \neq y`,
	`a \approx b`, `\infty`, `O(n \log n)`, `p(x|y)`, `\hat{x}`,
	`\bar{x}`, `\vec{v}`, `2^{10} = 1024`, `10^{-3}`, `x_{n+1} = x_n - \frac{f(x_n)}{f'(x_n)}`,
	`\frac{d}{dx} e^x = e^x`, `\sum_{i=1}^n x_i^2`, `\sqrt[3]{x}`, `\mathbb{R}`, `\left( \frac{a}{b} \right)^2`,
}
