package mathtex

// symKind says how a symbol is spaced (TeX's atom classes, simplified).
type symKind int

const (
	ord   symKind = iota // letters, Greek, ∞
	bin                  // + − ± ×: a medium space each side
	rel                  // = < ≤ →: a thick space each side
	large                // ∑ ∫: set larger, scripts as limits in display
	punct                // , ;: a thin space after
)

// fontStyle is the face a character is set in.
type fontStyle int

const (
	styleMath   fontStyle = iota // letters italic, the rest upright
	styleText                    // upright (\mathrm, \text)
	styleItalic                  // \mathit
	styleBold                    // \mathbf
)

var symbols = map[string]symbol{
	`\alpha`: {'α', ord}, `\beta`: {'β', ord}, `\gamma`: {'γ', ord}, `\delta`: {'δ', ord},
	`\epsilon`: {'ε', ord}, `\varepsilon`: {'ε', ord}, `\zeta`: {'ζ', ord}, `\eta`: {'η', ord},
	`\theta`: {'θ', ord}, `\vartheta`: {'ϑ', ord}, `\iota`: {'ι', ord}, `\kappa`: {'κ', ord},
	`\lambda`: {'λ', ord}, `\mu`: {'μ', ord}, `\nu`: {'ν', ord}, `\xi`: {'ξ', ord},
	`\pi`: {'π', ord}, `\rho`: {'ρ', ord}, `\sigma`: {'σ', ord}, `\tau`: {'τ', ord},
	`\upsilon`: {'υ', ord}, `\phi`: {'φ', ord}, `\varphi`: {'φ', ord}, `\chi`: {'χ', ord},
	`\psi`: {'ψ', ord}, `\omega`: {'ω', ord},
	`\Gamma`: {'Γ', ord}, `\Delta`: {'Δ', ord}, `\Theta`: {'Θ', ord}, `\Lambda`: {'Λ', ord},
	`\Xi`: {'Ξ', ord}, `\Pi`: {'Π', ord}, `\Sigma`: {'Σ', ord}, `\Upsilon`: {'Υ', ord},
	`\Phi`: {'Φ', ord}, `\Psi`: {'Ψ', ord}, `\Omega`: {'Ω', ord},
	`\infty`: {'∞', ord}, `\partial`: {'∂', ord}, `\nabla`: {'∇', ord}, `\hbar`: {'ħ', ord},
	`\ell`: {'ℓ', ord}, `\emptyset`: {'∅', ord}, `\forall`: {'∀', ord}, `\exists`: {'∃', ord},
	`\neg`: {'¬', ord}, `\prime`: {'′', ord}, `\ldots`: {'…', ord}, `\cdots`: {'⋯', ord},
	`\dots`: {'…', ord}, `\degree`: {'°', ord},
	`\{`: {'{', ord}, `\}`: {'}', ord}, `\$`: {'$', ord}, `\%`: {'%', ord}, `\#`: {'#', ord},
	`\&`: {'&', ord}, `\_`: {'_', ord}, `\|`: {'‖', ord}, `\lvert`: {'|', ord}, `\rvert`: {'|', ord},
	`\langle`: {'⟨', ord}, `\rangle`: {'⟩', ord}, `\lfloor`: {'⌊', ord}, `\rfloor`: {'⌋', ord},
	`\lceil`: {'⌈', ord}, `\rceil`: {'⌉', ord},
	`\pm`: {'±', bin}, `\mp`: {'∓', bin}, `\times`: {'×', bin}, `\div`: {'÷', bin},
	`\cdot`: {'·', bin}, `\ast`: {'∗', bin}, `\circ`: {'∘', bin}, `\bullet`: {'•', bin},
	`\cap`: {'∩', bin}, `\cup`: {'∪', bin}, `\wedge`: {'∧', bin}, `\vee`: {'∨', bin},
	`\land`: {'∧', bin}, `\lor`: {'∨', bin}, `\oplus`: {'⊕', bin}, `\otimes`: {'⊗', bin},
	`\setminus`: {'∖', bin},
	`\leq`:      {'≤', rel}, `\le`: {'≤', rel}, `\geq`: {'≥', rel}, `\ge`: {'≥', rel},
	`\neq`: {'≠', rel}, `\ne`: {'≠', rel}, `\approx`: {'≈', rel}, `\equiv`: {'≡', rel},
	`\sim`: {'∼', rel}, `\simeq`: {'≃', rel}, `\cong`: {'≅', rel}, `\propto`: {'∝', rel},
	`\ll`: {'≪', rel}, `\gg`: {'≫', rel}, `\in`: {'∈', rel}, `\notin`: {'∉', rel},
	`\ni`: {'∋', rel}, `\subset`: {'⊂', rel}, `\supset`: {'⊃', rel}, `\subseteq`: {'⊆', rel},
	`\supseteq`: {'⊇', rel}, `\to`: {'→', rel}, `\rightarrow`: {'→', rel}, `\leftarrow`: {'←', rel},
	`\gets`: {'←', rel}, `\Rightarrow`: {'⇒', rel}, `\Leftarrow`: {'⇐', rel},
	`\implies`: {'⇒', rel}, `\iff`: {'⇔', rel}, `\Leftrightarrow`: {'⇔', rel},
	`\leftrightarrow`: {'↔', rel}, `\mapsto`: {'↦', rel}, `\mid`: {'|', rel}, `\perp`: {'⊥', rel},
	`\parallel`: {'∥', rel},
	`\sum`:      {'∑', large}, `\prod`: {'∏', large}, `\coprod`: {'∐', large}, `\int`: {'∫', large},
	`\iint`: {'∬', large}, `\oint`: {'∮', large}, `\bigcup`: {'⋃', large}, `\bigcap`: {'⋂', large},
}

// spaces are the spacing macros, in ems.
var spaces = map[string]float64{
	`\,`: 3.0 / 18, `\:`: 4.0 / 18, `\>`: 4.0 / 18, `\;`: 5.0 / 18, `\!`: -3.0 / 18,
	`\ `: 0.3, `\quad`: 1, `\qquad`: 2,
}

// functions are set upright (\sin x); those marked limits take their
// subscript underneath in display math.
var functions = map[string]bool{
	`\sin`: true, `\cos`: true, `\tan`: true, `\cot`: true, `\sec`: true, `\csc`: true,
	`\arcsin`: true, `\arccos`: true, `\arctan`: true, `\sinh`: true, `\cosh`: true, `\tanh`: true,
	`\log`: true, `\ln`: true, `\lg`: true, `\exp`: true, `\lim`: true, `\max`: true, `\min`: true,
	`\sup`: true, `\inf`: true, `\det`: true, `\dim`: true, `\ker`: true, `\gcd`: true,
	`\deg`: true, `\arg`: true, `\Pr`: true, `\liminf`: true, `\limsup`: true, `\argmax`: true,
	`\argmin`: true, `\mod`: true, `\bmod`: true,
}

// limits are the functions whose scripts go under and over them in display.
var limits = map[string]bool{"lim": true, "max": true, "min": true, "sup": true, "inf": true,
	"liminf": true, "limsup": true, "argmax": true, "argmin": true, "det": true, "gcd": true, "Pr": true}

var styles = map[string]fontStyle{
	`\mathrm`: styleText, `\mathit`: styleItalic, `\mathbf`: styleBold, `\boldsymbol`: styleBold,
	`\mathbb`: styleBold, `\mathsf`: styleText, `\mathtt`: styleText, `\mathcal`: styleItalic,
}

var accents = map[string]rune{
	`\hat`: 'ˆ', `\widehat`: 'ˆ', `\bar`: '¯', `\overline`: '¯', `\vec`: '→', `\tilde`: '˜',
	`\widetilde`: '˜', `\dot`: '˙', `\ddot`: '¨',
}

var delims = map[string]rune{
	`\{`: '{', `\}`: '}', `\langle`: '⟨', `\rangle`: '⟩', `\lvert`: '|', `\rvert`: '|',
	`\|`: '‖', `\lfloor`: '⌊', `\rfloor`: '⌋', `\lceil`: '⌈', `\rceil`: '⌉', `\vert`: '|',
}
