/** Phase and category colours; the phases mirror nbviz/panels/profile/picture.py. */
export const PHASES = ["data", "forward", "backward", "optimizer", "other"] as const;
export const PHASE_COLORS = ["#f9a825", "#0091ea", "#8e24aa", "#00b894", "#9e9e9e"] as const;
/** Kernel, Memcpy, Memset, Communication, Runtime, DataLoader, CPU Exec, Other */
export const CATEGORY_COLORS = ["#d81b60", "#ff7043", "#ffb74d", "#5c6bc0", "#26a69a", "#f9a825", "#0091ea", "#9e9e9e"] as const;
