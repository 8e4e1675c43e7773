# bash completion for dbclone(1)
_dbclone()
{
    local cur prev words cword
    _init_completion || return
    local cmd=${words[1]}
    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W 'run next ls gc doctor version --help' -- "$cur"))
        return
    fi
    # After "--", the rest is a command line of its own.
    local i
    for ((i = 2; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
    done
    case $prev in
        --pool | --pid | --older-than | --pg | --mysql) return ;;
        --run) _filedir -d; return ;;
        --summary-json) _filedir; return ;;
    esac
    case $cmd in
        run) COMPREPLY=($(compgen -W '--per-process --pool --keep=failed --keep=always --summary-json --' -- "$cur")) ;;
        next) COMPREPLY=($(compgen -W '--run --pid' -- "$cur")) ;;
        ls) COMPREPLY=($(compgen -W '--json --pg' -- "$cur")) ;;
        gc) COMPREPLY=($(compgen -W '--dry-run --older-than --pg' -- "$cur")) ;;
        doctor)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--pg --mysql --' -- "$cur"))
            else
                COMPREPLY=($(compgen -c -- "$cur"))
            fi ;;
    esac
} &&
    complete -F _dbclone dbclone
